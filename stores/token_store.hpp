// TokenStore: the `tokens` projection (schema step 3).
//
// One row per capability token ever granted and not yet purged:
//   token_id     "tok_" + 16 hex; the public handle (events, GET /tokens, revoke)
//   token_hash   lowercase hex SHA-256 of the bearer token; the token itself is
//                never stored (it is shown once, to whoever asked for it)
//   tenant_id    the token's tenant ("*" for the admin bootstrap token)
//   permissions  JSON array text, e.g. ["deploy","status"]
//   resource     scope: "*", "services/<id>", "secrets/<name>", trailing * = prefix
//   expires_at   unix ms, NULL = never
//   parent_id    the token it was attenuated from, NULL for a root token
//   revoked      0/1
//   created_at   unix ms
//
// Rows are written only through the ProjectionFns below, each handed to
// EventStore::append_durable / append_all_durable together with its event
// (capability_granted, capability_revoked, capabilities_purged), so the table
// and the log never disagree. load_live() runs on the Reader thread
// (EventStore::read). Knows nothing of hashing or policy (engine/security).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stores/event_store.hpp"

namespace solo {

struct TokenRow {
  std::string token_id;
  std::string token_hash;
  std::string tenant_id;
  std::vector<std::string> permissions;
  std::string resource;
  std::optional<int64_t> expires_at_ms;  // nullopt = never expires
  std::optional<std::string> parent_id;
  bool revoked = false;
  int64_t created_at_ms = 0;
};

class TokenStore {
 public:
  // INSERT of a new row.
  static ProjectionFn insert(TokenRow row);
  // Sets revoked = 1 on every listed token.
  static ProjectionFn mark_revoked(std::vector<std::string> token_ids);
  // Deletes the listed rows (purge of expired tokens).
  static ProjectionFn erase(std::vector<std::string> token_ids);

  // Reader thread: every row that is neither revoked nor expired at now_ms.
  static std::vector<TokenRow> load_live(Database& db, int64_t now_ms);
  // Reader thread: every row (tests, diagnostics).
  static std::vector<TokenRow> load_all(Database& db);
};

}  // namespace solo
