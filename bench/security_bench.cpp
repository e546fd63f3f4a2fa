// Scenario `security`: the capability and vault hot paths on a real store.
//
//   verify     CapabilityManager::verify(token, "call", "services/svc-N") over a
//              set of T live tokens (default 10,000), in a shuffled order,
//              beside the bare baseline in the same run: SHA-256 of the token
//              through OpenSSL EVP, lowercase hex (the map's key, as in the
//              manager) and a std::unordered_map<std::string, shared_ptr> find,
//              then the same permission and scope test. Target: <= 2x.
//   grant      durable grants (each answers after its capability_granted
//              event and its row committed): one at a time, then 64 at once
//              (group commit); the concurrent run mints the verify set.
//   secrets    Vault::put (durable, AES-256-GCM) one at a time and 64 at once;
//              Vault::get with reveal (decrypt + a secret_accessed audit
//              append) and Vault::decrypt (what solo.secret uses).
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include "bench/append_load.hpp"  // run_to_completion
#include "bench/scenario.hpp"
#include "engine/security/capability_manager.hpp"
#include "engine/security/vault.hpp"
#include "stores/event_store.hpp"

namespace solo::bench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct SecurityOptions {
  int64_t tokens = 10'000;       // the verify set (minted by the concurrent grant run)
  int64_t verifies = 1'000'000;  // verify calls per side
  int64_t sequential = 300;      // sequential durable grants and puts
  int64_t secrets = 2'000;       // concurrent durable puts
  int64_t gets = 200'000;        // reveal gets and decrypts
  int64_t concurrency = 64;
  std::string synchronous = "FULL";
  std::optional<std::string> dir;
  bool json = false;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
double micros(int64_t ns) { return std::round(static_cast<double>(ns) / 10.0) / 100.0; }  // 0.01 us

std::string service_resource(int64_t i) { return "services/svc-" + std::to_string(i); }

// ---- grants ----------------------------------------------------------------------

GrantRequest grant_request(int64_t i) {
  GrantRequest request;
  request.tenant_id = "tenant-" + std::to_string(i % 16);
  request.permissions = {"call", "status"};
  request.resource = service_resource(i);
  request.ttl = std::chrono::hours(1);
  return request;
}

struct GrantRun {
  std::shared_ptr<CapabilityManager> manager;
  int64_t total = 0;
  int64_t next = 0;
  std::vector<std::string> tokens;  // by index
  std::vector<int64_t> latency_ns;
};

asio::awaitable<void> grant_loop(std::shared_ptr<GrantRun> run) {
  while (run->next < run->total) {
    int64_t i = run->next++;
    GrantRequest request = grant_request(i);
    CapabilityManager::CapabilityPtr system;
    auto start = Clock::now();
    auto result = co_await run->manager->grant(std::move(request), system);
    run->latency_ns[static_cast<size_t>(i)] = (Clock::now() - start).count();
    if (!result) throw std::runtime_error("grant failed: " + result.error().message());
    run->tokens[static_cast<size_t>(i)] = result->token;
  }
}

struct Timed {
  double seconds = 0;
  std::vector<int64_t> latency_ns;  // sorted
};

Timed run_grants(asio::io_context& io, std::shared_ptr<CapabilityManager> manager, int64_t total, int64_t workers,
                 std::vector<std::string>* tokens) {
  auto run = std::make_shared<GrantRun>();
  run->manager = std::move(manager);
  run->total = total;
  run->tokens.resize(static_cast<size_t>(total));
  run->latency_ns.resize(static_cast<size_t>(total));
  std::exception_ptr failure;
  auto start = Clock::now();
  for (int64_t w = 0; w < workers; ++w) {
    asio::co_spawn(io, grant_loop(run), [&failure](std::exception_ptr e) {
      if (e && !failure) failure = e;
    });
  }
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  Timed timed{seconds_since(start), std::move(run->latency_ns)};
  std::sort(timed.latency_ns.begin(), timed.latency_ns.end());
  if (tokens) *tokens = std::move(run->tokens);
  return timed;
}

// ---- secrets ---------------------------------------------------------------------

struct PutRun {
  std::shared_ptr<Vault> vault;
  std::string prefix;
  std::string value;
  int64_t total = 0;
  int64_t next = 0;
  std::vector<int64_t> latency_ns;
};

asio::awaitable<void> put_loop(std::shared_ptr<PutRun> run) {
  while (run->next < run->total) {
    int64_t i = run->next++;
    std::string tenant = "tenant-" + std::to_string(i % 16);
    std::string name = run->prefix + std::to_string(i);
    std::string value = run->value;
    std::string actor = "bench";
    auto start = Clock::now();
    auto result = co_await run->vault->put(std::move(tenant), std::move(name), std::move(value), std::move(actor));
    run->latency_ns[static_cast<size_t>(i)] = (Clock::now() - start).count();
    if (!result) throw std::runtime_error("put failed: " + result.error().message());
  }
}

Timed run_puts(asio::io_context& io, std::shared_ptr<Vault> vault, const std::string& prefix, int64_t total,
               int64_t workers) {
  auto run = std::make_shared<PutRun>();
  run->vault = std::move(vault);
  run->prefix = prefix;
  run->value = std::string(48, 's');
  run->total = total;
  run->latency_ns.resize(static_cast<size_t>(total));
  std::exception_ptr failure;
  auto start = Clock::now();
  for (int64_t w = 0; w < workers; ++w) {
    asio::co_spawn(io, put_loop(run), [&failure](std::exception_ptr e) {
      if (e && !failure) failure = e;
    });
  }
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  Timed timed{seconds_since(start), std::move(run->latency_ns)};
  std::sort(timed.latency_ns.begin(), timed.latency_ns.end());
  return timed;
}

// ---- verify and its baseline ---------------------------------------------------------

// The bare baseline: what a lookup by hash costs without the manager.
struct BareEntry {
  std::string permission_a, permission_b, resource;
};

std::string bare_sha256_hex(const std::string& token, EVP_MD_CTX* ctx) {
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, token.data(), token.size());
  EVP_DigestFinal_ex(ctx, digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out(64, '0');
  for (int i = 0; i < 32; ++i) {
    out[static_cast<size_t>(2 * i)] = hex[digest[i] >> 4];
    out[static_cast<size_t>(2 * i + 1)] = hex[digest[i] & 15];
  }
  return out;
}

// Times `ops` calls of op(i), every one individually (steady_clock costs
// ~20 ns, the same on both sides); returns the wall time and sorted latencies.
template <class Op>
Timed time_ops(int64_t ops, Op&& op) {
  Timed timed;
  timed.latency_ns.resize(static_cast<size_t>(ops));
  auto start = Clock::now();
  for (int64_t i = 0; i < ops; ++i) {
    auto t0 = Clock::now();
    op(i);
    timed.latency_ns[static_cast<size_t>(i)] = (Clock::now() - t0).count();
  }
  timed.seconds = seconds_since(start);
  std::sort(timed.latency_ns.begin(), timed.latency_ns.end());
  return timed;
}

// ---- the scenario -------------------------------------------------------------------

std::string fixed(double v, int digits = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

int run_security(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench security [--tokens N] [--verifies N] [--sequential N] [--secrets N]\n"
                 "                           [--gets N] [--concurrency C] [--synchronous FULL|NORMAL] [--dir DIR] [--json]\n";
    return 0;
  }
  SecurityOptions options;
  options.tokens = args.integer("--tokens", options.tokens);
  options.verifies = args.integer("--verifies", options.verifies);
  options.sequential = args.integer("--sequential", options.sequential);
  options.secrets = args.integer("--secrets", options.secrets);
  options.gets = args.integer("--gets", options.gets);
  options.concurrency = args.integer("--concurrency", options.concurrency);
  options.synchronous = args.text("--synchronous", options.synchronous);
  options.dir = args.value("--dir");
  options.json = args.flag("--json");
  args.finish();
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
    throw UsageError("--synchronous must be FULL or NORMAL");
  }

  ScratchDir dir(options.dir);
  asio::io_context io(1);
  auto store = run_to_completion(
      io, EventStore::open(io.get_executor(), dir.path() / "solo.db", OpenOptions{.synchronous = options.synchronous}));
  auto manager = std::make_shared<CapabilityManager>(store);
  run_to_completion(io, manager->restore());

  // Grants: sequential, then concurrent (which mints the verify set).
  Timed grant_seq = run_grants(io, manager, options.sequential, 1, nullptr);
  std::vector<std::string> tokens;
  Timed grant_par = run_grants(io, manager, options.tokens, options.concurrency, &tokens);
  // The sequential run's tokens stay in the manager too: the verify set is the concurrent run's.

  // Verify, through the manager.
  std::vector<int64_t> order(static_cast<size_t>(options.verifies));
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(0, options.tokens - 1);
  for (auto& index : order) index = pick(rng);
  std::vector<std::string> resources(static_cast<size_t>(options.tokens));
  for (int64_t i = 0; i < options.tokens; ++i) resources[static_cast<size_t>(i)] = service_resource(i);
  int64_t refused = 0;
  Timed ours = time_ops(options.verifies, [&](int64_t i) {
    auto index = static_cast<size_t>(order[static_cast<size_t>(i)]);
    auto result = manager->verify(tokens[index], "call", resources[index]);
    if (!result) ++refused;
  });
  if (refused) throw std::runtime_error(std::to_string(refused) + " verifies refused");

  // The bare baseline over the same tokens, in the same order.
  std::unordered_map<std::string, std::shared_ptr<const BareEntry>> bare;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (int64_t i = 0; i < options.tokens; ++i) {
    bare.emplace(bare_sha256_hex(tokens[static_cast<size_t>(i)], ctx),
                 std::make_shared<const BareEntry>(BareEntry{"call", "status", resources[static_cast<size_t>(i)]}));
  }
  int64_t bare_misses = 0;
  Timed baseline = time_ops(options.verifies, [&](int64_t i) {
    auto index = static_cast<size_t>(order[static_cast<size_t>(i)]);
    auto it = bare.find(bare_sha256_hex(tokens[index], ctx));
    if (it == bare.end() || (it->second->permission_a != "call" && it->second->permission_b != "call") ||
        it->second->resource != resources[index]) {
      ++bare_misses;
    }
  });
  EVP_MD_CTX_free(ctx);
  if (bare_misses) throw std::runtime_error("baseline lookups missed");

  // Secrets.
  VaultOptions vault_options;
  vault_options.master_key_file = dir.path() / "master.key";
  auto vault = std::make_shared<Vault>(store, vault_options);
  run_to_completion(io, vault->restore());
  Timed put_seq = run_puts(io, vault, "seq-", options.sequential, 1);
  Timed put_par = run_puts(io, vault, "par-", options.secrets, options.concurrency);
  std::vector<std::pair<std::string, std::string>> names;
  for (int64_t i = 0; i < options.secrets; ++i) names.emplace_back("tenant-" + std::to_string(i % 16), "par-" + std::to_string(i));
  int64_t get_failures = 0;
  Timed gets = time_ops(options.gets, [&](int64_t i) {
    const auto& [tenant, name] = names[static_cast<size_t>(i % options.secrets)];
    auto value = vault->get(tenant, name, true, "bench");
    if (!value || !*value) ++get_failures;
  });
  // The audit appends of the gets are queued on the Writer: let them land
  // before timing decrypt alone.
  run_to_completion(io, store->flush());
  Timed decrypts = time_ops(options.gets, [&](int64_t i) {
    const auto& [tenant, name] = names[static_cast<size_t>(i % options.secrets)];
    if (!vault->decrypt(tenant, name)) ++get_failures;
  });
  if (get_failures) throw std::runtime_error(std::to_string(get_failures) + " secret reads failed");
  run_to_completion(io, store->close());

  auto rate = [](int64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; };
  double ours_rate = rate(options.verifies, ours.seconds);
  double bare_rate = rate(options.verifies, baseline.seconds);
  double ratio_p50 = static_cast<double>(percentile(ours.latency_ns, 0.5)) /
                     static_cast<double>(std::max<int64_t>(1, percentile(baseline.latency_ns, 0.5)));
  double ratio_rate = ours_rate > 0 ? bare_rate / ours_rate : 0;

  boost::json::object report;
  report["scenario"] = "security";
  report["synchronous"] = options.synchronous;
  report["tokens"] = options.tokens;
  report["verifies"] = options.verifies;
  report["verify_per_s"] = std::llround(ours_rate);
  report["verify_p50_us"] = micros(percentile(ours.latency_ns, 0.5));
  report["verify_p99_us"] = micros(percentile(ours.latency_ns, 0.99));
  report["bare_per_s"] = std::llround(bare_rate);
  report["bare_p50_us"] = micros(percentile(baseline.latency_ns, 0.5));
  report["bare_p99_us"] = micros(percentile(baseline.latency_ns, 0.99));
  report["verify_ratio_p50"] = std::round(ratio_p50 * 100) / 100;
  report["verify_ratio_throughput"] = std::round(ratio_rate * 100) / 100;
  report["grant_sequential"] = options.sequential;
  report["grant_sequential_per_s"] = std::llround(rate(options.sequential, grant_seq.seconds));
  report["grant_sequential_p50_us"] = micros(percentile(grant_seq.latency_ns, 0.5));
  report["grant_sequential_p99_us"] = micros(percentile(grant_seq.latency_ns, 0.99));
  report["grant_concurrency"] = options.concurrency;
  report["grant_concurrent_per_s"] = std::llround(rate(options.tokens, grant_par.seconds));
  report["grant_concurrent_p50_us"] = micros(percentile(grant_par.latency_ns, 0.5));
  report["grant_concurrent_p99_us"] = micros(percentile(grant_par.latency_ns, 0.99));
  report["put_sequential_per_s"] = std::llround(rate(options.sequential, put_seq.seconds));
  report["put_sequential_p50_us"] = micros(percentile(put_seq.latency_ns, 0.5));
  report["put_concurrent_per_s"] = std::llround(rate(options.secrets, put_par.seconds));
  report["put_concurrent_p50_us"] = micros(percentile(put_par.latency_ns, 0.5));
  report["put_concurrent_p99_us"] = micros(percentile(put_par.latency_ns, 0.99));
  report["get_reveal_per_s"] = std::llround(rate(options.gets, gets.seconds));
  report["get_reveal_p50_us"] = micros(percentile(gets.latency_ns, 0.5));
  report["decrypt_per_s"] = std::llround(rate(options.gets, decrypts.seconds));
  report["decrypt_p50_us"] = micros(percentile(decrypts.latency_ns, 0.5));
  publish(report, options.json);
  if (options.json) return 0;
  auto line = [](const char* label, const std::string& value) { std::printf("  %-40s %s\n", label, value.c_str()); };
  auto latency = [](const Timed& t) {
    return fixed(micros(percentile(t.latency_ns, 0.5)), 2) + " / " + fixed(micros(percentile(t.latency_ns, 0.99)), 2) +
           " us";
  };
  std::printf("security: %lld tokens, %lld verifies, synchronous=%s, %s\n", static_cast<long long>(options.tokens),
              static_cast<long long>(options.verifies), options.synchronous.c_str(), dir.path().c_str());
  line("CapabilityManager::verify", fixed(ours_rate) + " verifies/s, p50 / p99 " + latency(ours));
  line("bare SHA-256 (EVP) + hex + unordered_map", fixed(bare_rate) + " lookups/s, p50 / p99 " + latency(baseline));
  line("ratio (verify / bare), p50 | throughput", fixed(ratio_p50, 2) + " | " + fixed(ratio_rate, 2) + "   target <= 2");
  line("grant, durable, sequential", fixed(rate(options.sequential, grant_seq.seconds)) + " /s, p50 / p99 " +
                                          latency(grant_seq));
  line(("grant, durable, " + std::to_string(options.concurrency) + " concurrent").c_str(),
       fixed(rate(options.tokens, grant_par.seconds)) + " /s, p50 / p99 " + latency(grant_par));
  line("secret put, durable, sequential", fixed(rate(options.sequential, put_seq.seconds)) + " /s, p50 / p99 " +
                                              latency(put_seq));
  line(("secret put, durable, " + std::to_string(options.concurrency) + " concurrent").c_str(),
       fixed(rate(options.secrets, put_par.seconds)) + " /s, p50 / p99 " + latency(put_par));
  line("secret get (reveal: decrypt + audit)", fixed(rate(options.gets, gets.seconds)) + " /s, p50 / p99 " + latency(gets));
  line("secret decrypt (solo.secret path)", fixed(rate(options.gets, decrypts.seconds)) + " /s, p50 / p99 " +
                                                latency(decrypts));
  return 0;
}

const RegisterScenario registered{
    {"security", "capability verify vs bare SHA-256 + hash map; durable grants; vault put/get", run_security}};

}  // namespace
}  // namespace solo::bench
