// SubmitJob, GetJob, ListJobs, CancelJob and WatchJob: the durable jobs of SPEC 6, as the HTTP
// job endpoints offer them (same validation, same service calls).
#include "net/grpc/job_events_wire.hpp"
#include "net/grpc/rpc_env.hpp"
#include "net/grpc/rpc_job_follow.hpp"
#include "net/grpc/watch_job_writer.hpp"
#include "net/job_json.hpp"
#include "net/job_query_params.hpp"

namespace bfm::net::grpc_bridge {

namespace asio = boost::asio;

namespace {

constexpr rpc_method submit_method{"SubmitJob", role::operator_};
constexpr rpc_method get_method{"GetJob", role::viewer};
constexpr rpc_method list_method{"ListJobs", role::viewer};
constexpr rpc_method cancel_method{"CancelJob", role::operator_};
constexpr rpc_method watch_method{"WatchJob", role::viewer};

constexpr std::size_t max_limit = 1000;

grpc::Status invalid(std::string field, std::string message) {
    return to_status(field_error{"invalid_value", std::move(field), std::move(message)});
}

// The job ID of a request: a UUID, lower-cased; else INVALID_ARGUMENT naming `job_id`.
std::optional<std::string> job_id_of(const std::string& text, grpc::Status& status) {
    std::optional<std::string> id = parse_job_id(text);
    if (!id) {
        status = invalid("job_id", "job ID \"" + text.substr(0, 64)
                                       + "\" is not a UUID (8-4-4-4-12 hex digits)");
    }
    return id;
}

// limit 0 means `fallback`; else 1..1000. offset >= 0.
bool read_page(std::int32_t limit, std::int32_t offset, std::size_t fallback,
               std::size_t& out_limit, std::size_t& out_offset, grpc::Status& status) {
    if (limit < 0 || static_cast<std::size_t>(limit) > max_limit) {
        status = invalid("limit", "limit must be from 1 to 1000 (0: the default, "
                                      + std::to_string(fallback) + ")");
        return false;
    }
    if (offset < 0) {
        status = invalid("offset", "offset must be >= 0");
        return false;
    }
    out_limit = limit == 0 ? fallback : static_cast<std::size_t>(limit);
    out_offset = static_cast<std::size_t>(offset);
    return true;
}

template <class T>
const T& value_of(const core::service_outcome<T>& outcome, const char* call) {
    if (!outcome.value) {
        throw std::logic_error(std::string(call) + " returned neither a value nor an error");
    }
    return *outcome.value;
}

asio::awaitable<grpc::Status> submit_body(
    rpc_env& env, unary_ptr<migration::SubmitJobRequest, migration::SubmitJobResponse> call,
    migration::SubmitJobResponse& response) {
    const migration::SubmitJobRequest& request = call->request;
    job_options_result options = to_job_options(request);
    if (options.error) co_return to_status(*options.error);
    normalised_request n = normalise(to_raw_request(request.spec()), env.config, "SubmitJob");
    if (!n.request) co_return n.status;
    core::service_outcome<core::job_summary> outcome =
        co_await env.service.submit_job(std::move(*n.request), options.options);
    if (outcome.error) co_return to_status(*outcome.error);
    const core::job_summary& job = value_of(outcome, "submit_job");
    response.set_job_id(job.job_id);
    response.set_status(std::string(core::to_string(job.status)));
    to_proto(job, *response.mutable_job());
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> get_body(
    rpc_env& env, unary_ptr<migration::GetJobRequest, migration::GetJobResponse> call,
    migration::GetJobResponse& response) {
    const migration::GetJobRequest& request = call->request;
    grpc::Status status;
    std::optional<std::string> job_id = job_id_of(request.job_id(), status);
    if (!job_id) co_return status;
    core::job_target_query query;
    if (request.include_targets()) {
        if (!request.target_status().empty()) {
            query.status = core::parse_target_status(request.target_status());
            if (!query.status) {
                co_return invalid("target_status",
                                  "target_status must be one of queued, running, succeeded, "
                                  "failed, cancelled");
            }
        }
        if (!read_page(request.limit(), request.offset(), 100, query.limit, query.offset, status)) {
            co_return status;
        }
    }
    core::service_outcome<core::job_summary> job = co_await env.service.get_job(*job_id);
    if (job.error) co_return to_status(*job.error);
    to_proto(value_of(job, "get_job"), *response.mutable_job());
    if (!request.include_targets()) co_return grpc::Status::OK;
    core::service_outcome<core::job_target_page> page =
        co_await env.service.job_targets(*job_id, query);
    if (page.error) co_return to_status(*page.error);
    for (const core::job_target_row& row : value_of(page, "job_targets").items) {
        to_proto(row, *response.add_targets());
    }
    response.set_targets_total(static_cast<std::int64_t>(page.value->total));
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> list_body(
    rpc_env& env, unary_ptr<migration::ListJobsRequest, migration::ListJobsResponse> call,
    migration::ListJobsResponse& response) {
    const migration::ListJobsRequest& request = call->request;
    core::job_list_query query;
    if (!request.status().empty()) {
        query.status = core::parse_job_status(request.status());
        if (!query.status) {
            co_return invalid("status",
                              "status must be one of queued, running, succeeded, failed, "
                              "partial, cancelled");
        }
    }
    grpc::Status status;
    if (!read_page(request.limit(), request.offset(), 50, query.limit, query.offset, status)) {
        co_return status;
    }
    core::service_outcome<core::job_page> page = co_await env.service.list_jobs(query);
    if (page.error) co_return to_status(*page.error);
    for (const core::job_summary& job : value_of(page, "list_jobs").items) {
        to_proto(job, *response.add_items());
    }
    response.set_total(static_cast<std::int64_t>(page.value->total));
    response.set_limit(static_cast<std::int32_t>(query.limit));
    response.set_offset(static_cast<std::int32_t>(query.offset));
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> cancel_body(
    rpc_env& env, unary_ptr<migration::CancelJobRequest, migration::CancelJobResponse> call,
    migration::CancelJobResponse& response) {
    grpc::Status status;
    std::optional<std::string> job_id = job_id_of(call->request.job_id(), status);
    if (!job_id) co_return status;
    core::service_outcome<core::job_summary> outcome = co_await env.service.cancel_job(*job_id);
    if (outcome.error) co_return to_status(*outcome.error);
    const core::job_summary& job = value_of(outcome, "cancel_job");
    to_proto(job, *response.mutable_job());
    response.set_final(core::is_final(job.status));
    co_return grpc::Status::OK;
}

// The first message of WatchJob: the job and every target row, page by page.
asio::awaitable<grpc::Status> read_snapshot(rpc_env& env, const std::string& job_id,
                                            migration::JobEvent& out) {
    core::service_outcome<core::job_summary> job = co_await env.service.get_job(job_id);
    if (job.error) co_return to_status(*job.error);
    const core::job_summary& summary = value_of(job, "get_job");
    out.set_type("snapshot");
    out.set_job_id(job_id);
    out.set_status(std::string(core::to_string(summary.status)));
    out.set_progress(summary.counts.progress());
    out.set_statement_index(-1);
    migration::JobSnapshot& snapshot = *out.mutable_snapshot();
    to_proto(summary, *snapshot.mutable_job());
    core::job_target_query query;
    query.limit = max_limit;
    for (;;) {
        core::service_outcome<core::job_target_page> page =
            co_await env.service.job_targets(job_id, query);
        if (page.error) co_return to_status(*page.error);
        const core::job_target_page& rows = value_of(page, "job_targets");
        for (const core::job_target_row& row : rows.items) to_proto(row, *snapshot.add_targets());
        query.offset += rows.items.size();
        if (rows.items.empty() || query.offset >= rows.total) break;
    }
    co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> watch_body(rpc_env& env, watch_call call) {
    std::optional<migration::WatchJobRequest> request = parse_watch_request(call->request);
    if (!request) {
        co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "the request is not a WatchJobRequest message");
    }
    grpc::Status status;
    std::optional<std::string> job_id = job_id_of(request->job_id(), status);
    if (!job_id) co_return status;
    // Subscribe before reading the snapshot: an event published in between is then queued
    // (seen twice at worst), never lost.
    std::unique_ptr<core::event_subscription> events = env.service.events().subscribe(*job_id);
    migration::JobEvent snapshot;
    status = co_await read_snapshot(env, *job_id, snapshot);
    if (!status.ok()) co_return status;
    const grpc::ByteBuffer first = to_byte_buffer(encode_job_events(snapshot));
    if (!co_await call->write(first)) {
        co_return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
    }
    const migration::Job& job = snapshot.snapshot().job();
    std::optional<core::job_status> job_status = core::parse_job_status(job.status());
    if (job_status && core::is_final(*job_status)) {
        core::job_event finished;
        finished.type = core::job_event_type::job_finished;
        finished.job_id = *job_id;
        finished.connection = job.connection();
        finished.status = job.status();
        finished.error = job.error();
        finished.at = job.finished_at();
        finished.progress = job.progress();
        const grpc::ByteBuffer last = job_events_message(
            std::vector<core::shared_event_ptr>{core::make_shared_event(std::move(finished))});
        co_await call->write(last);
        co_return grpc::Status::OK;
    }
    watch_job_writer writer(call, *events);
    status = co_await follow_job(env, call, events, false, *job_id, writer);
    co_await writer.stop();
    co_return status;
}

}  // namespace

asio::awaitable<void> handle_submit_job(
    rpc_env& env, unary_ptr<migration::SubmitJobRequest, migration::SubmitJobResponse> call) {
    co_await serve_unary(env, std::move(call), submit_method, &submit_body);
}

asio::awaitable<void> handle_get_job(
    rpc_env& env, unary_ptr<migration::GetJobRequest, migration::GetJobResponse> call) {
    co_await serve_unary(env, std::move(call), get_method, &get_body);
}

asio::awaitable<void> handle_list_jobs(
    rpc_env& env, unary_ptr<migration::ListJobsRequest, migration::ListJobsResponse> call) {
    co_await serve_unary(env, std::move(call), list_method, &list_body);
}

asio::awaitable<void> handle_cancel_job(
    rpc_env& env, unary_ptr<migration::CancelJobRequest, migration::CancelJobResponse> call) {
    co_await serve_unary(env, std::move(call), cancel_method, &cancel_body);
}

asio::awaitable<void> handle_watch_job(rpc_env& env, watch_call call) {
    co_await serve_stream(env, std::move(call), watch_method, &watch_body);
}

}  // namespace bfm::net::grpc_bridge
