// Registry load and planning at fleet scale: 1,000 migration files, 1,000 tenant targets.
// Goals (issue 3): load < 200 ms; planning all 1,000 targets < 100 ms.
//
//   build/bench/bfm_bench_registry --benchmark_counters_tabular=true
//
// The tree is generated in memory (no disk I/O in the figures): convention A files of a
// realistic size with `-- bfm:` headers, every tenth migration depending on the one before.

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "core/loader.hpp"
#include "core/planner.hpp"
#include "core/registry.hpp"

namespace {

using namespace bfm::core;

std::vector<source_file> make_tree(int count) {
    std::vector<source_file> files;
    files.reserve(static_cast<std::size_t>(count) * 2);
    for (int i = 0; i < count; ++i) {
        const std::string version = std::to_string(20250101000000LL + i * 100);
        const std::string name = "change_" + std::to_string(i);
        std::string up = "-- bfm:table table_" + std::to_string(i % 50) + "\n";
        if (i % 10 == 9) up += "-- bfm:depends change_" + std::to_string(i - 1) + "\n";
        up += "\nCREATE TABLE IF NOT EXISTS table_" + std::to_string(i) +
              " (\n    id bigserial PRIMARY KEY,\n    tenant_id uuid NOT NULL,\n"
              "    name text NOT NULL,\n    payload jsonb NOT NULL DEFAULT '{}'::jsonb,\n"
              "    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
              "CREATE INDEX IF NOT EXISTS table_" + std::to_string(i) + "_tenant_idx ON table_" +
              std::to_string(i) + " (tenant_id, created_at);\n";
        const std::string base = "postgresql/organization/" + version + "_" + name;
        files.push_back({base + ".up.sql", up});
        files.push_back({base + ".down.sql", "DROP TABLE IF EXISTS table_" + std::to_string(i) + ";\n"});
    }
    return files;
}

// Recorded state: every tenant has applied the first half of the migrations.
class half_applied final : public state_lookup {
public:
    explicit half_applied(const registry& reg) {
        for (std::size_t i = 0; i < reg.size() / 2; ++i) {
            const auto& m = reg.all()[i];
            applied_[m.id] = recorded_state{"applied", m.checksum};
        }
    }
    const states* target(const std::string&, const std::string&) const override {
        return &applied_;
    }

private:
    states applied_;
};

void load_registry(benchmark::State& state) {
    const auto files = make_tree(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto loaded = load_migrations(files);
        if (!loaded.ok()) state.SkipWithError(loaded.errors.front().to_string().c_str());
        registry reg(std::move(loaded.migrations));
        benchmark::DoNotOptimize(reg.size());
    }
    state.counters["files"] = static_cast<double>(files.size());
}
BENCHMARK(load_registry)->Arg(1000)->Unit(benchmark::kMillisecond);

void plan_targets(benchmark::State& state) {
    auto loaded = load_migrations(make_tree(1000));
    if (!loaded.ok()) {
        state.SkipWithError(loaded.errors.front().to_string().c_str());
        return;
    }
    const registry reg(std::move(loaded.migrations));
    const half_applied recorded(reg);
    target_filter filter;
    filter.connection = "organization";
    const auto selected = reg.select(filter);
    const int targets = static_cast<int>(state.range(0));
    std::vector<std::string> schemas;
    for (int t = 0; t < targets; ++t) schemas.push_back("cli_tenant_" + std::to_string(t));
    std::size_t steps = 0;
    for (auto _ : state) {
        for (const auto& schema : schemas) {
            auto plan = plan_target(reg, selected, "organization", schema, recorded, {});
            if (!plan.ok()) state.SkipWithError(plan.errors.front().c_str());
            steps += plan.steps.size();
        }
    }
    state.counters["targets"] = targets;
    state.counters["steps/target"] =
        static_cast<double>(steps) / static_cast<double>(state.iterations()) / targets;
}
BENCHMARK(plan_targets)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
