#include "engine/security/vault.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "engine/security/capability.hpp"
#include "engine/security/crypto.hpp"

namespace solo {
namespace {

constexpr std::string_view kHkdfSalt = "solo-vault-v1";

std::string aad(std::string_view tenant, std::string_view name, int64_t version) {
  std::string out;
  out.reserve(tenant.size() + name.size() + 24);
  out.append(tenant);
  out.push_back('\0');
  out.append(name);
  out.push_back('\0');
  out.append(std::to_string(version));
  return out;
}

// Another rotation finishes in seconds; the client retries after this.
constexpr std::chrono::seconds kRotationRetryAfter{1};

}  // namespace

Vault::Vault(std::shared_ptr<EventStore> events, VaultOptions options)
    : events_(std::move(events)),
      options_(std::move(options)),
      keys_(MasterKeyRing::load_or_create(options_.master_key_file, options_.create_master_key)),
      limiter_(options_.denied_events_per_second, options_.denied_events_burst) {}

Vault::~Vault() {
  for (auto& [id, key] : key_cache_) crypto::cleanse(key);
}

std::string Vault::row_key(std::string_view tenant, std::string_view name) {
  std::string key(tenant);
  key.push_back('\0');
  key.append(name);
  return key;
}

const std::string& Vault::tenant_key(const std::string& tenant, int64_t version) const {
  std::string id = tenant + '\0' + std::to_string(version);
  auto it = key_cache_.find(id);
  if (it != key_cache_.end()) return it->second;
  const std::string* master = keys_.key(version);
  if (!master) throw std::logic_error("master key version " + std::to_string(version) + " is not loaded");
  std::string info = "tenant-key";
  info.push_back('\0');
  info += tenant;
  info.push_back('\0');
  info += "v" + std::to_string(version);
  auto derived = crypto::hkdf_sha256(*master, kHkdfSalt, info, crypto::kAesKeyBytes);
  return key_cache_.emplace(std::move(id), std::move(derived)).first->second;
}

SecretRow Vault::seal(const std::string& tenant, const std::string& name, std::string_view value,
                      int64_t version) const {
  auto sealed = crypto::aes_256_gcm_encrypt(tenant_key(tenant, version), value, aad(tenant, name, version));
  SecretRow row;
  row.tenant_id = tenant;
  row.name = name;
  row.key_version = version;
  row.nonce = std::move(sealed.nonce);
  row.ciphertext = std::move(sealed.ciphertext);
  row.tag = std::move(sealed.tag);
  row.updated_at = utc_now_iso8601();
  return row;
}

VaultResult<std::string> Vault::open_row(const SecretRow& row) const {
  if (!keys_.key(row.key_version)) {
    return Error(ErrorKind::internal, "secret " + row.name + " cannot be decrypted: key version " +
                                                        std::to_string(row.key_version) +
                                                        " is not in the master key file");
  }
  crypto::Sealed sealed{row.nonce, row.ciphertext, row.tag};
  auto value = crypto::aes_256_gcm_decrypt(tenant_key(row.tenant_id, row.key_version), sealed,
                                           aad(row.tenant_id, row.name, row.key_version));
  if (!value) {
    return Error(ErrorKind::internal,
                         "secret " + row.name +
                             " cannot be decrypted: authentication failed (tampered data or wrong master key)");
  }
  return std::move(*value);
}

asio::awaitable<int> Vault::restore() {
  std::function<std::vector<SecretRow>(Database&)> load = [](Database& db) { return SecretStore::load_all(db); };
  auto rows = co_await events_->read<std::vector<SecretRow>>(std::move(load));
  rows_.clear();
  for (auto& row : rows) {
    std::string key = row_key(row.tenant_id, row.name);
    rows_.emplace(std::move(key), std::move(row));
  }
  co_return static_cast<int>(rows_.size());
}

asio::awaitable<VaultResult<void>> Vault::put(std::string tenant, std::string name, std::string value,
                                              std::string actor) {
  if (!is_valid_identifier(tenant)) {
    co_return Error(ErrorKind::invalid, "invalid tenant id");
  }
  if (!is_valid_identifier(name)) {
    co_return Error(ErrorKind::invalid,
                            "secret names are 1 to 128 characters of A-Z a-z 0-9 _ - . not starting with '.'");
  }
  if (value.size() > options_.max_value_bytes) {
    crypto::cleanse(value);
    co_return Error(ErrorKind::invalid, "secret value is larger than " +
                                                             std::to_string(options_.max_value_bytes) + " bytes");
  }
  int64_t version = keys_.current_version();
  SecretRow row = seal(tenant, name, value, version);
  crypto::cleanse(value);

  NewEvent event;
  event.event_type = "secret_stored";
  event.tenant_id = tenant;
  event.subject = name;
  boost::json::object payload;
  payload["name"] = name;
  payload["key_version"] = version;
  if (!actor.empty()) payload["actor"] = actor;
  event.payload = std::move(payload);
  ProjectionFn projection = SecretStore::upsert(row);
  co_await events_->append_durable(std::move(event), std::move(projection));
  rows_[row_key(tenant, name)] = std::move(row);
  co_return VaultResult<void>{};
}

VaultResult<std::optional<std::string>> Vault::get(std::string_view tenant, std::string_view name, bool reveal,
                                                   std::string_view actor) {
  auto it = rows_.find(row_key(tenant, name));
  if (it == rows_.end()) return Error(ErrorKind::not_found, "no secret " + std::string(name));
  if (!reveal) return std::optional<std::string>();
  auto value = open_row(it->second);
  if (!value) return value.error();
  NewEvent event;
  event.event_type = "secret_accessed";
  event.tenant_id = std::string(tenant);
  event.subject = std::string(name);
  boost::json::object payload;
  payload["name"] = name;
  if (!actor.empty()) payload["actor"] = actor;
  event.payload = std::move(payload);
  events_->append(std::move(event));
  return std::optional<std::string>(std::move(*value));
}

VaultResult<std::string> Vault::decrypt(std::string_view tenant, std::string_view name) const {
  auto it = rows_.find(row_key(tenant, name));
  if (it == rows_.end()) return Error(ErrorKind::not_found, "no secret " + std::string(name));
  return open_row(it->second);
}

bool Vault::exists(std::string_view tenant, std::string_view name) const {
  return rows_.contains(row_key(tenant, name));
}

asio::awaitable<VaultResult<void>> Vault::remove(std::string tenant, std::string name, std::string actor) {
  std::string key = row_key(tenant, name);
  if (!rows_.contains(key)) co_return Error(ErrorKind::not_found, "no secret " + name);
  NewEvent event;
  event.event_type = "secret_deleted";
  event.tenant_id = tenant;
  event.subject = name;
  boost::json::object payload;
  payload["name"] = name;
  if (!actor.empty()) payload["actor"] = actor;
  event.payload = std::move(payload);
  ProjectionFn projection = SecretStore::erase(tenant, name);
  co_await events_->append_durable(std::move(event), std::move(projection));
  rows_.erase(key);
  co_return VaultResult<void>{};
}

std::vector<SecretInfo> Vault::list(std::string_view tenant) const {
  std::vector<SecretInfo> out;
  std::string prefix = row_key(tenant, "");
  for (auto it = rows_.lower_bound(prefix); it != rows_.end() && it->first.starts_with(prefix); ++it) {
    out.push_back(SecretInfo{it->second.name, it->second.key_version, it->second.updated_at});
  }
  return out;
}

void Vault::record_access_denied(std::string_view tenant, std::string_view name, std::string_view reason,
                                 std::string_view actor) {
  auto suppressed = limiter_.admit(tenant, options_.steady_now());  // per tenant
  if (!suppressed) return;
  NewEvent event;
  event.event_type = "secret_access_denied";
  event.tenant_id = std::string(tenant);
  event.subject = std::string(name);
  boost::json::object payload;
  payload["name"] = name;
  payload["reason"] = reason;
  if (!actor.empty()) payload["actor"] = actor;
  payload["suppressed"] = *suppressed;
  event.payload = std::move(payload);
  events_->append(std::move(event));
}

asio::awaitable<VaultResult<RotationReport>> Vault::rotate() {
  if (rotating_) co_return Error(ErrorKind::overloaded, "a key rotation is already running", kRotationRetryAfter);
  rotating_ = true;
  try {
    keys_.rotate();  // durable before anything is encrypted under the new version
  } catch (...) {
    rotating_ = false;
    throw;
  }
  co_return co_await reencrypt_all();
}

asio::awaitable<VaultResult<RotationReport>> Vault::reencrypt() {
  if (rotating_) co_return Error(ErrorKind::overloaded, "a key rotation is already running", kRotationRetryAfter);
  rotating_ = true;
  co_return co_await reencrypt_all();
}

asio::awaitable<RotationReport> Vault::reencrypt_all() {
  struct Reset {
    bool* flag;
    ~Reset() { *flag = false; }
  } reset{&rotating_};
  RotationReport report;
  report.key_version = keys_.current_version();
  const int64_t target = report.key_version;
  std::optional<std::string> after;  // the last row key examined
  while (true) {
    // Snapshot, re-encrypt and submit with no suspension in between, so the
    // batch is ordered against puts and deletes exactly as memory is.
    std::vector<SecretRow> batch;
    std::vector<std::string> expected_nonces;
    auto it = after ? rows_.upper_bound(*after) : rows_.begin();
    for (; it != rows_.end() && batch.size() < options_.rotation_batch; ++it) {
      after = it->first;
      const SecretRow& row = it->second;
      if (row.key_version >= target) continue;
      auto value = open_row(row);
      if (!value) {
        report.failed.push_back(row.tenant_id + "/" + row.name);
        continue;
      }
      batch.push_back(seal(row.tenant_id, row.name, *value, target));
      crypto::cleanse(*value);
      expected_nonces.push_back(row.nonce);
    }
    if (batch.empty() && it == rows_.end()) break;
    if (batch.empty()) continue;
    NewEvent event;
    event.event_type = "vault_reencrypted";
    boost::json::object payload;
    payload["key_version"] = target;
    payload["count"] = batch.size();
    event.payload = std::move(payload);
    ProjectionFn projection = SecretStore::replace_if_unchanged(batch, expected_nonces);
    co_await events_->append_durable(std::move(event), std::move(projection));
    ++report.batches;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto current = rows_.find(row_key(batch[i].tenant_id, batch[i].name));
      // A put or delete committed meanwhile wins (its row carries another nonce).
      if (current == rows_.end() || current->second.nonce != expected_nonces[i]) continue;
      current->second = std::move(batch[i]);
      ++report.reencrypted;
    }
  }
  NewEvent done;
  done.event_type = "vault_rotated";
  boost::json::object payload;
  payload["key_version"] = target;
  payload["reencrypted"] = report.reencrypted;
  payload["batches"] = report.batches;
  boost::json::array failed;
  for (const auto& f : report.failed) failed.emplace_back(f);
  payload["failed"] = std::move(failed);
  done.payload = std::move(payload);
  ProjectionFn none;  // a named local: no class temporaries inside co_await (GCC 12)
  co_await events_->append_durable(std::move(done), std::move(none));
  co_return report;
}

}  // namespace solo
