#include "state/lease_store.hpp"

#include "backends/postgresql/pg_quote.hpp"

namespace bfm::state {
namespace asio = boost::asio;

lease_store::lease_store(std::shared_ptr<pg::pool> pool, std::string schema,
                         std::chrono::milliseconds wait_timeout)
    : pool_(std::move(pool)), schema_(std::move(schema)), wait_timeout_(wait_timeout) {}

std::string lease_store::table(std::string_view name) const {
    return pg::quote_ident(schema_) + "." + std::string(name);
}

asio::awaitable<pg::result<std::optional<std::int64_t>>> lease_store::try_acquire(
    const std::string& connection, const std::string& schema, const std::string& holder,
    const std::string& job_id, std::chrono::milliseconds lease) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    // Takes a free or expired lease in one statement; a valid one held by anybody (this
    // process included: two local runs of one target queue too) leaves the row unchanged.
    auto r = co_await session.value()->query(
        "INSERT INTO " + table("bfm_locks")
            + " AS l (connection, schema, holder, token, job_id, acquired_at, expires_at)"
              " VALUES ($1, $2, $3, nextval('"
            + table("bfm_fencing_tokens")
            + "'), nullif($4, ''), now(), now() + $5::bigint * interval '1 millisecond')"
              " ON CONFLICT (connection, schema) DO UPDATE SET holder = EXCLUDED.holder,"
              " token = EXCLUDED.token, job_id = EXCLUDED.job_id, acquired_at = now(),"
              " expires_at = EXCLUDED.expires_at WHERE l.expires_at < now() RETURNING token",
        pg::params(connection, schema, holder, job_id, std::to_string(lease.count())));
    if (!r) co_return r.error();
    std::optional<std::int64_t> token;
    if (!r->empty()) token = r->integer(0, 0);
    co_return token;
}

asio::awaitable<pg::status> lease_store::release(const std::string& connection,
                                                 const std::string& schema, std::int64_t token) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        "DELETE FROM " + table("bfm_locks")
            + " WHERE connection = $1 AND schema = $2 AND token = $3",
        pg::params(connection, schema, std::to_string(token)));
    if (!r) co_return r.error();
    co_return pg::status{};
}

asio::awaitable<pg::result<std::set<std::int64_t>>> lease_store::renew(
    const std::string& holder, std::chrono::milliseconds lease) {
    auto session = co_await pool_->acquire(wait_timeout_);
    if (!session) co_return session.error();
    auto r = co_await session.value()->query(
        "UPDATE " + table("bfm_locks")
            + " SET expires_at = now() + $2::bigint * interval '1 millisecond'"
              " WHERE holder = $1 AND expires_at >= now() RETURNING token",
        pg::params(holder, std::to_string(lease.count())));
    if (!r) co_return r.error();
    std::set<std::int64_t> tokens;
    for (int i = 0; i < r->size(); ++i) tokens.insert(r->integer(i, 0));
    co_return tokens;
}

}  // namespace bfm::state
