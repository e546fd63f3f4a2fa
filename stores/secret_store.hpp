// SecretStore: the `secrets` projection (schema step 4).
//
// One row per (tenant, secret name), holding ciphertext only:
//   tenant_id, name   the key (PRIMARY KEY)
//   key_version       which master key version encrypted it (master.key "v<N>")
//   nonce             BLOB, 12 random bytes, fresh for every write
//   ciphertext        BLOB, AES-256-GCM output (same length as the value)
//   tag               BLOB, the 16-byte GCM tag
//   updated_at        UTC ISO 8601 with ms
// The plaintext, the keys and the AAD never reach this layer (engine/security/vault).
//
// Rows are written only through the ProjectionFns below, each handed to
// EventStore::append_durable with its event (secret_stored, secret_deleted,
// vault_reencrypted). load_all() runs on the Reader thread (EventStore::read).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stores/event_store.hpp"

namespace solo {

struct SecretRow {
  std::string tenant_id;
  std::string name;
  int64_t key_version = 0;
  std::string nonce;       // raw bytes
  std::string ciphertext;  // raw bytes
  std::string tag;         // raw bytes
  std::string updated_at;
};

class SecretStore {
 public:
  // Inserts the row or replaces the one with its (tenant, name).
  static ProjectionFn upsert(SecretRow row);
  // Re-encryption (rotation): each `rows[i]` replaces the stored row only while
  // that row still carries `expected_nonces[i]` — a put or delete that committed
  // in between wins over the rotation.
  static ProjectionFn replace_if_unchanged(std::vector<SecretRow> rows, std::vector<std::string> expected_nonces);
  static ProjectionFn erase(std::string tenant_id, std::string name);

  // Reader thread: every row, ordered by (tenant_id, name).
  static std::vector<SecretRow> load_all(Database& db);
};

}  // namespace solo
