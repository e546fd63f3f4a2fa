#include "net/api/storage_args.hpp"

#include <set>

#include <boost/json.hpp>

#include "base/utf8.hpp"
#include "engine/sandbox/lua_host.hpp"
#include "net/api/request_args.hpp"

namespace solo::net {

const std::string& require_storage_key(const std::string& key) {
  if (key.empty() || key.size() > kStorageKeyMax) {
    throw BadRequest("a storage key is 1 to " + std::to_string(kStorageKeyMax) + " bytes, not " +
                     std::to_string(key.size()));
  }
  if (!is_valid_utf8(key)) throw BadRequest("a storage key must be valid UTF-8");
  return key;
}

std::string storage_value_text(const boost::json::value& value, std::string_view what) {
  auto text = boost::json::serialize(value);
  if (text.size() > kStorageValueMax) {
    throw BadRequest(std::string(what) + " encodes to " + std::to_string(text.size()) + " bytes of JSON; at most " +
                     std::to_string(kStorageValueMax) + " are stored");
  }
  return text;
}

std::string parse_put_body(const boost::json::object& body) {
  auto* value = body.if_contains("value");
  if (!value) throw BadRequest("'value' is required (any JSON value)");
  return storage_value_text(*value, "'value'");
}

std::vector<StorageEntry> parse_import_body(const boost::json::object& body) {
  auto* entries = body.if_contains("entries");
  if (!entries || !entries->is_array()) throw BadRequest("'entries' is required (an array of {\"key\", \"value\"})");
  const auto& items = entries->as_array();
  if (items.empty() || items.size() > kStorageListMax) {
    throw BadRequest("'entries' holds 1 to " + std::to_string(kStorageListMax) + " entries per import, not " +
                     std::to_string(items.size()));
  }
  std::vector<StorageEntry> out;
  out.reserve(items.size());
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto where = "entries[" + std::to_string(i) + "]";
    const auto* entry = items[i].if_object();
    const auto* key = entry ? entry->if_contains("key") : nullptr;
    const auto* value = entry ? entry->if_contains("value") : nullptr;
    if (!key || !key->is_string() || !value) throw BadRequest(where + " must be {\"key\": string, \"value\": JSON}");
    std::string name(key->as_string());
    require_storage_key(name);
    if (!seen.insert(key->as_string()).second) throw BadRequest(where + " repeats the key '" + name + "'");
    out.push_back({std::move(name), storage_value_text(*value, where + ".value")});
  }
  return out;
}

StorageListQuery parse_list_query(const Request& request) {
  StorageListQuery query;
  query.limit = static_cast<std::size_t>(query_int(request, "limit", 100, 1, kStorageListMax));
  query.prefix = request.query_param("prefix").value_or("");
  query.cursor = request.query_param("cursor").value_or("");
  if (query.prefix.size() > kStorageKeyMax || query.cursor.size() > kStorageKeyMax) {
    throw BadRequest("'prefix' and 'cursor' are at most " + std::to_string(kStorageKeyMax) + " bytes (keys are)");
  }
  return query;
}

boost::json::value stored_value(std::string_view json_text) { return boost::json::parse(json_text); }

}  // namespace solo::net
