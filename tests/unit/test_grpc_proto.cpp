// proto/migration.proto keeps upstream BfM's wire contract
// (shared/reference/upstream-grpc-fields.md: every message, field name, number and type), and the
// pure conversions of src/net/grpc.

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "migration.pb.h"
#include "net/grpc/job_events_wire.hpp"
#include "net/grpc/proto_convert.hpp"

namespace {

using google::protobuf::FieldDescriptor;
namespace grpc_bridge = bfm::net::grpc_bridge;

struct field {
    std::string name;
    int number;
    std::string type;  // "string", "bool", "int32", a message name, "map"
    bool repeated = false;
};

std::string type_of(const FieldDescriptor& f) {
    if (f.is_map()) return "map";
    if (f.type() == FieldDescriptor::TYPE_MESSAGE) return f.message_type()->name();
    return f.type_name();
}

void expect_message(const std::string& message, const std::vector<field>& fields) {
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    const auto* d = pool->FindMessageTypeByName("migration." + message);
    ASSERT_NE(d, nullptr) << message;
    for (const field& f : fields) {
        const FieldDescriptor* got = d->FindFieldByNumber(f.number);
        ASSERT_NE(got, nullptr) << message << " has no field " << f.number;
        EXPECT_EQ(got->name(), f.name) << message << "." << f.number;
        EXPECT_EQ(type_of(*got), f.type) << message << "." << f.name;
        EXPECT_EQ(got->is_repeated() && !got->is_map(), f.repeated) << message << "." << f.name;
    }
    // Anything else bfm added must be numbered from 100 on.
    for (int i = 0; i < d->field_count(); ++i) {
        const int number = d->field(i)->number();
        bool upstream = false;
        for (const field& f : fields) upstream = upstream || f.number == number;
        EXPECT_TRUE(upstream || number >= 100) << message << "." << d->field(i)->name();
    }
}

TEST(GrpcProto, UpstreamMessagesKeepTheirFieldNumbersAndTypes) {
    expect_message("MigrationTarget", {{"backend", 1, "string"},
                                       {"schema", 2, "string"},
                                       {"tables", 3, "string", true},
                                       {"version", 4, "string"},
                                       {"connection", 5, "string"},
                                       {"tags", 6, "string", true}});
    expect_message("MigrateRequest", {{"target", 1, "MigrationTarget"},
                                      {"connection", 2, "string"},
                                      {"schema", 3, "string"},
                                      {"schema_name", 4, "string"},
                                      {"dry_run", 5, "bool"},
                                      {"ignore_dependencies", 6, "bool"}});
    expect_message("MigrateResponse", {{"success", 1, "bool"},
                                       {"applied", 2, "string", true},
                                       {"skipped", 3, "string", true},
                                       {"errors", 4, "string", true}});
    expect_message("MigrateProgress", {{"migration_id", 1, "string"},
                                       {"status", 2, "string"},
                                       {"message", 3, "string"},
                                       {"progress", 4, "int32"}});
    expect_message("MigrateDownRequest", {{"migration_id", 1, "string"},
                                          {"schemas", 2, "string", true},
                                          {"dry_run", 3, "bool"},
                                          {"ignore_dependencies", 4, "bool"}});
    expect_message("ListMigrationsRequest", {{"schema", 1, "string"},
                                             {"table", 2, "string"},
                                             {"connection", 3, "string"},
                                             {"backend", 4, "string"},
                                             {"status", 5, "string"},
                                             {"version", 6, "string"}});
    expect_message("ListMigrationsResponse",
                   {{"items", 1, "MigrationListItem", true}, {"total", 2, "int32"}});
    expect_message("MigrationListItem", {{"migration_id", 1, "string"},
                                         {"schema", 2, "string"},
                                         {"table", 3, "string"},
                                         {"version", 4, "string"},
                                         {"name", 5, "string"},
                                         {"connection", 6, "string"},
                                         {"backend", 7, "string"},
                                         {"applied", 8, "bool"},
                                         {"status", 9, "string"},
                                         {"applied_at", 10, "string"},
                                         {"error_message", 11, "string"},
                                         {"tags", 12, "string", true}});
    expect_message("GetMigrationRequest", {{"migration_id", 1, "string"}});
    expect_message("MigrationDetailResponse",
                   {{"migration_id", 1, "string"},
                    {"schema", 2, "string"},
                    {"table", 3, "string"},
                    {"version", 4, "string"},
                    {"name", 5, "string"},
                    {"connection", 6, "string"},
                    {"backend", 7, "string"},
                    {"applied", 8, "bool"},
                    {"up_sql", 9, "string"},
                    {"down_sql", 10, "string"},
                    {"dependencies", 11, "string", true},
                    {"structured_dependencies", 12, "DependencyResponse", true},
                    {"tags", 13, "string", true}});
    expect_message("DependencyResponse", {{"connection", 1, "string"},
                                          {"schema", 2, "string"},
                                          {"target", 3, "string"},
                                          {"target_type", 4, "string"},
                                          {"requires_table", 5, "string"},
                                          {"requires_schema", 6, "string"}});
    expect_message("GetMigrationStatusRequest", {{"migration_id", 1, "string"}});
    expect_message("MigrationStatusResponse", {{"migration_id", 1, "string"},
                                               {"status", 2, "string"},
                                               {"applied", 3, "bool"},
                                               {"applied_at", 4, "string"},
                                               {"error_message", 5, "string"}});
    expect_message("IsMigrationAppliedRequest", {{"migration_id", 1, "string"}});
    expect_message("IsMigrationAppliedResponse", {{"applied", 1, "bool"}});
    expect_message("GetMigrationHistoryRequest", {{"migration_id", 1, "string"}});
    expect_message("MigrationHistoryResponse",
                   {{"migration_id", 1, "string"}, {"history", 2, "MigrationHistoryItem", true}});
    expect_message("MigrationHistoryItem", {{"migration_id", 1, "string"},
                                            {"schema", 2, "string"},
                                            {"table", 3, "string"},
                                            {"version", 4, "string"},
                                            {"connection", 5, "string"},
                                            {"backend", 6, "string"},
                                            {"applied_at", 7, "string"},
                                            {"status", 8, "string"},
                                            {"error_message", 9, "string"},
                                            {"executed_by", 10, "string"},
                                            {"execution_method", 11, "string"},
                                            {"execution_context", 12, "string"}});
    expect_message("RollbackMigrationRequest",
                   {{"migration_id", 1, "string"}, {"schemas", 2, "string", true}});
    expect_message(
        "RollbackResponse",
        {{"success", 1, "bool"}, {"message", 2, "string"}, {"errors", 3, "string", true}});
    expect_message("ReindexMigrationsRequest", {{"sfm_path", 1, "string"}});
    expect_message("ReindexResponse", {{"added", 1, "string", true},
                                       {"removed", 2, "string", true},
                                       {"updated", 3, "string", true},
                                       {"total", 4, "int32"}});
    expect_message("HealthRequest", {});
    expect_message("HealthResponse", {{"status", 1, "string"}, {"checks", 2, "map"}});
}

TEST(GrpcProto, TheServiceHasUpstreamsRpcsAndBfmsNewOnes) {
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        "migration.MigrationService");
    ASSERT_NE(service, nullptr);
    const std::map<std::string, std::pair<std::string, std::string>> rpcs{
        {"Migrate", {"MigrateRequest", "MigrateResponse"}},
        {"StreamMigrate", {"MigrateRequest", "MigrateProgress"}},
        {"MigrateDown", {"MigrateDownRequest", "MigrateResponse"}},
        {"ListMigrations", {"ListMigrationsRequest", "ListMigrationsResponse"}},
        {"GetMigration", {"GetMigrationRequest", "MigrationDetailResponse"}},
        {"GetMigrationStatus", {"GetMigrationStatusRequest", "MigrationStatusResponse"}},
        {"IsMigrationApplied", {"IsMigrationAppliedRequest", "IsMigrationAppliedResponse"}},
        {"GetMigrationHistory", {"GetMigrationHistoryRequest", "MigrationHistoryResponse"}},
        {"RollbackMigration", {"RollbackMigrationRequest", "RollbackResponse"}},
        {"ReindexMigrations", {"ReindexMigrationsRequest", "ReindexResponse"}},
        {"Health", {"HealthRequest", "HealthResponse"}},
        {"SubmitJob", {"SubmitJobRequest", "SubmitJobResponse"}},
        {"GetJob", {"GetJobRequest", "GetJobResponse"}},
        {"ListJobs", {"ListJobsRequest", "ListJobsResponse"}},
        {"CancelJob", {"CancelJobRequest", "CancelJobResponse"}},
        {"WatchJob", {"WatchJobRequest", "JobEvents"}},
        {"Plan", {"PlanRequest", "PlanResponse"}},
    };
    EXPECT_EQ(service->method_count(), static_cast<int>(rpcs.size()));
    for (const auto& [name, types] : rpcs) {
        const auto* m = service->FindMethodByName(name);
        ASSERT_NE(m, nullptr) << name;
        EXPECT_EQ(m->input_type()->name(), types.first) << name;
        EXPECT_EQ(m->output_type()->name(), types.second) << name;
        EXPECT_FALSE(m->client_streaming()) << name;
        EXPECT_EQ(m->server_streaming(), name == "StreamMigrate" || name == "WatchJob") << name;
    }
}

TEST(GrpcConvert, SchemaNameIsAnAliasThatMustAgree) {
    migration::MigrateRequest request;
    request.set_connection("app");
    request.set_schema_name("cli_a");
    auto raw = grpc_bridge::to_raw_request(request);
    ASSERT_TRUE(raw.request);
    EXPECT_EQ(raw.request->schema, "cli_a");

    request.set_schema("cli_a");
    EXPECT_TRUE(grpc_bridge::to_raw_request(request).request);

    request.set_schema("cli_b");
    raw = grpc_bridge::to_raw_request(request);
    ASSERT_TRUE(raw.error);
    EXPECT_EQ(raw.error->field, "schema_name");
    EXPECT_EQ(raw.error->to_string().rfind("field \"schema_name\": ", 0), 0u);
}

TEST(GrpcConvert, TargetFieldsReachTheRawRequest) {
    migration::JobSpec spec;
    spec.set_connection("app");
    spec.add_schemas("cli_a");
    spec.add_schemas("cli_b");
    spec.set_environment("prod");
    spec.mutable_schema_selector()->set_like("cli_%");
    spec.mutable_target()->set_version("<=2");
    spec.mutable_target()->add_tags("team=core");
    spec.mutable_target()->add_tables("users");
    spec.set_allow_modified(true);
    auto raw = grpc_bridge::to_raw_request(spec);
    ASSERT_TRUE(raw.request);
    EXPECT_EQ(raw.request->schemas, (std::vector<std::string>{"cli_a", "cli_b"}));
    EXPECT_EQ(raw.request->environment, "prod");
    EXPECT_EQ(raw.request->schema_selector_like, "cli_%");
    EXPECT_EQ(raw.request->target_version_text, "<=2");
    EXPECT_EQ(raw.request->tags, std::vector<std::string>{"team=core"});
    EXPECT_EQ(raw.request->target.tables, std::vector<std::string>{"users"});
    EXPECT_TRUE(raw.request->allow_modified);
    EXPECT_FALSE(raw.request->dry_run);
}

TEST(GrpcConvert, JobOptionsAreValidated) {
    migration::SubmitJobRequest request;
    auto ok = grpc_bridge::to_job_options(request);
    EXPECT_FALSE(ok.error);
    EXPECT_EQ(ok.options.on_error, bfm::core::on_error_policy::continue_);

    request.set_on_error("stop");
    request.set_max_failures(3);
    ok = grpc_bridge::to_job_options(request);
    ASSERT_FALSE(ok.error);
    EXPECT_EQ(ok.options.on_error, bfm::core::on_error_policy::stop);
    EXPECT_EQ(ok.options.max_failures, 3);

    request.set_max_failures(-1);
    EXPECT_EQ(grpc_bridge::to_job_options(request).error->field, "max_failures");
    request.set_max_failures(0);
    request.set_on_error("later");
    EXPECT_EQ(grpc_bridge::to_job_options(request).error->field, "on_error");
    request.set_on_error("");
    request.set_kind("sideways");
    EXPECT_EQ(grpc_bridge::to_job_options(request).error->field, "kind");
}

TEST(GrpcConvert, RunResultBecomesTheUpstreamAnswer) {
    bfm::core::run_result result;
    bfm::core::target_result t;
    t.connection = "app";
    t.schema = "cli_a";
    t.migrations = {{"m1", bfm::core::migration_outcome::applied, "", 3},
                    {"m2", bfm::core::migration_outcome::skipped, "", 0},
                    {"m3", bfm::core::migration_outcome::would_apply, "", 0},
                    {"m4", bfm::core::migration_outcome::failed, "42P07: exists", 1}};
    result.targets.push_back(t);
    migration::MigrateResponse out;
    grpc_bridge::to_proto(result, out);
    EXPECT_FALSE(out.success());
    EXPECT_EQ(std::vector<std::string>(out.applied().begin(), out.applied().end()),
              (std::vector<std::string>{"m1", "m3 (dry-run)"}));
    EXPECT_EQ(std::vector<std::string>(out.skipped().begin(), out.skipped().end()),
              std::vector<std::string>{"m2"});
    ASSERT_EQ(out.errors_size(), 1);
    EXPECT_EQ(out.errors(0), "app/cli_a: m4: 42P07: exists");
}

TEST(GrpcConvert, ProgressUsesUpstreamStatusWordsAndCarriesTheEvent) {
    bfm::core::job_event e;
    e.type = bfm::core::job_event_type::migration_succeeded;
    e.job_id = "j";
    e.connection = "app";
    e.schema = "cli_a";
    e.migration_id = "m1";
    e.progress = 50;
    migration::MigrateProgress p;
    grpc_bridge::to_progress(e, p);
    EXPECT_EQ(p.status(), "success");
    EXPECT_EQ(p.migration_id(), "m1");
    EXPECT_EQ(p.progress(), 50);
    EXPECT_EQ(p.message(), "app/cli_a: migration m1 applied");
    EXPECT_EQ(p.event().type(), "migration_succeeded");
    EXPECT_EQ(p.event().schema(), "cli_a");

    e.type = bfm::core::job_event_type::migration_failed;
    e.error = "boom";
    p.Clear();
    grpc_bridge::to_progress(e, p);
    EXPECT_EQ(p.status(), "failed");
    EXPECT_EQ(p.message(), "app/cli_a: migration m1 failed: boom");

    e = {};
    e.type = bfm::core::job_event_type::job_finished;
    e.job_id = "j";
    e.status = "partial";
    p.Clear();
    grpc_bridge::to_progress(e, p);
    EXPECT_EQ(p.status(), "partial");
    EXPECT_EQ(p.message(), "job j partial");
    EXPECT_EQ(p.event().statement_index(), -1);
}

}  // namespace

namespace {

std::shared_ptr<const bfm::core::shared_event> shared(bfm::core::job_event e) {
    return std::make_shared<const bfm::core::shared_event>(
        bfm::core::shared_event{std::move(e), {}, {}});
}

TEST(JobEventsWire, CachedEventBytesMakeAJobEventsMessage) {
    bfm::core::job_event first;
    first.type = bfm::core::job_event_type::target_started;
    first.job_id = "j";
    first.schema = "cli_a";
    bfm::core::job_event second = first;
    second.type = bfm::core::job_event_type::migration_failed;
    second.error = std::string(300, 'x');  // a length that needs a two-byte varint
    std::vector<bfm::core::shared_event_ptr> events{shared(first), shared(second)};

    migration::JobEvents parsed;
    ASSERT_TRUE(parsed.ParseFromString(grpc_bridge::encode_job_events(events)));
    ASSERT_EQ(parsed.events_size(), 2);
    EXPECT_EQ(parsed.events(0).type(), "target_started");
    EXPECT_EQ(parsed.events(0).schema(), "cli_a");
    EXPECT_EQ(parsed.events(1).type(), "migration_failed");
    EXPECT_EQ(parsed.events(1).error(), std::string(300, 'x'));
    // Serialized once: a later encoding uses the bytes cached on the shared event, not the
    // event itself (marker bytes put in the cache show up in the output).
    ASSERT_FALSE(events[1]->encoded_proto.empty());
    events[1]->encoded_proto = "MARKER";
    const std::string again = grpc_bridge::encode_job_events(events);
    EXPECT_NE(again.find(std::string("\x0a\x06MARKER")), std::string::npos);
    EXPECT_EQ(again.find(std::string(300, 'x')), std::string::npos);

    migration::JobEvent snapshot;
    snapshot.set_type("snapshot");
    ASSERT_TRUE(parsed.ParseFromString(grpc_bridge::encode_job_events(snapshot)));
    ASSERT_EQ(parsed.events_size(), 1);
    EXPECT_EQ(parsed.events(0).type(), "snapshot");
}

TEST(JobEventsWire, AWatchRequestIsParsedOrRefused) {
    migration::WatchJobRequest request;
    request.set_job_id("0190a3c2-7b1e-7cc0-8e3f-000000000000");
    const auto parsed =
        grpc_bridge::parse_watch_request(grpc_bridge::to_byte_buffer(request.SerializeAsString()));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->job_id(), request.job_id());
    EXPECT_FALSE(
        grpc_bridge::parse_watch_request(grpc_bridge::to_byte_buffer(std::string("\x0a\x64"
                                                                                 "abc",
                                                                                 5))));
}

}  // namespace
