// Vault: tenant secrets encrypted at rest, over the `secrets` projection
// (stores/secret_store.hpp).
//
// Crypto: AES-256-GCM (OpenSSL EVP), a fresh random 96-bit nonce per write.
// The key of a tenant under master key version N is
//   HKDF-SHA256(ikm = master key vN, salt = "solo-vault-v1",
//               info = "tenant-key" 0x00 tenant 0x00 "v" N)
// and the AAD binds the row to its place:  tenant 0x00 name 0x00 N  (decimal),
// so a row copied onto another secret or tenant, a flipped byte or a wrong
// master key all fail authentication, with the message
//   "secret <name> cannot be decrypted: authentication failed (tampered data or wrong master key)".
//
// Memory holds the rows as stored — ciphertext only — loaded at restore() and
// kept in step with every commit; values are decrypted on demand and never
// cached. That gives services a synchronous path (solo.secret(name) from Lua
// cannot wait for the Reader thread) without plaintext sitting in memory, and
// costs one row of ciphertext per secret. Derived tenant keys are cached.
//
// Durability: put / remove answer after their event (secret_stored,
// secret_deleted; payload: name and key version, never the value) and row are
// committed in one transaction. get(reveal) records secret_accessed and
// record_access_denied() secret_access_denied (rate-limited) as non-durable
// audit appends.
//
// Rotation: rotate() adds master key version N+1 to the key file (durably,
// before anything is written under it), then re-encrypts every row of an
// older version in batches, each batch one transaction with a
// vault_reencrypted event, and ends with vault_rotated. The server keeps
// serving meanwhile: a put or delete that lands during a batch wins over it
// (SecretStore::replace_if_unchanged). Old versions stay in the key file.
//
// Thread safety: engine thread only; coroutines capture `this`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "base/error.hpp"
#include "engine/security/denial_limiter.hpp"
#include "engine/security/master_key.hpp"
#include "stores/event_store.hpp"
#include "stores/secret_store.hpp"

namespace solo {

// Failures are the engine's one error type: not_found, invalid, internal (a
// row that cannot be decrypted), overloaded (a rotation is already running;
// Retry-After). The message names the secret, never its value.
template <class T>
using VaultResult = Result<T>;

struct VaultOptions {
  std::filesystem::path master_key_file;  // usually <data>/master.key
  bool create_master_key = true;          // false: a missing file is an error (a configured path)
  size_t max_value_bytes = 64 * 1024;
  size_t rotation_batch = 100;
  double denied_events_per_second = 10;
  double denied_events_burst = 10;
  std::function<DenialLimiter::Clock::time_point()> steady_now = [] { return DenialLimiter::Clock::now(); };
};

struct SecretInfo {
  std::string name;
  int64_t key_version = 0;
  std::string updated_at;
};

struct RotationReport {
  int64_t key_version = 0;   // the new current version
  int reencrypted = 0;
  std::vector<std::string> failed;  // "<tenant>/<name>" of rows that could not be decrypted
  int batches = 0;
};

class Vault {
 public:
  // Loads (or creates) the master key file; throws when it is unreadable or malformed.
  Vault(std::shared_ptr<EventStore> events, VaultOptions options);
  ~Vault();

  // Loads every row into memory (ciphertext only). Returns how many.
  asio::awaitable<int> restore();

  // Encrypts and stores (creates or replaces) a secret. `actor` (e.g. the
  // token id) goes into the event. invalid_request: bad name or value too large.
  asio::awaitable<VaultResult<void>> put(std::string tenant, std::string name, std::string value, std::string actor);
  // not_found, or the value (reveal) / nullopt (exists, not revealed);
  // undecryptable when reveal fails authentication. Reveal records secret_accessed.
  VaultResult<std::optional<std::string>> get(std::string_view tenant, std::string_view name, bool reveal,
                                              std::string_view actor);
  // The value without an audit event: for a service reading a secret bound at
  // its deploy (solo.secret), where the binding was audited once.
  VaultResult<std::string> decrypt(std::string_view tenant, std::string_view name) const;
  bool exists(std::string_view tenant, std::string_view name) const;
  // not_found when absent.
  asio::awaitable<VaultResult<void>> remove(std::string tenant, std::string name, std::string actor);
  // Names of a tenant's secrets, sorted (no values).
  std::vector<SecretInfo> list(std::string_view tenant) const;

  // Records secret_access_denied (rate-limited) — for the HTTP layer and the
  // service bindings when they refuse a read.
  void record_access_denied(std::string_view tenant, std::string_view name, std::string_view reason,
                            std::string_view actor);

  // New master key version, then every older row re-encrypted under it. busy
  // when a rotation is already running.
  asio::awaitable<VaultResult<RotationReport>> rotate();
  // Re-encrypts rows below the current version (e.g. after a rotation was cut
  // short by a crash). Part of rotate().
  asio::awaitable<VaultResult<RotationReport>> reencrypt();

  int64_t key_version() const { return keys_.current_version(); }
  size_t size() const { return rows_.size(); }
  uint64_t denied_suppressed_total() const { return limiter_.suppressed_total(); }

 private:
  static std::string row_key(std::string_view tenant, std::string_view name);
  const std::string& tenant_key(const std::string& tenant, int64_t version) const;
  SecretRow seal(const std::string& tenant, const std::string& name, std::string_view value, int64_t version) const;
  VaultResult<std::string> open_row(const SecretRow& row) const;
  asio::awaitable<RotationReport> reencrypt_all();

  std::shared_ptr<EventStore> events_;
  VaultOptions options_;
  // Engine thread only.
  MasterKeyRing keys_;
  std::map<std::string, SecretRow> rows_;                           // row_key -> ciphertext row
  mutable std::unordered_map<std::string, std::string> key_cache_;  // tenant 0x00 version -> derived key
  KeyedDenialLimiter limiter_;  // per tenant: one tenant cannot hide another's denials
  bool rotating_ = false;
};

}  // namespace solo
