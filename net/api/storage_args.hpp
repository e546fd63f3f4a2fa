// What the storage routes (storage_routes.cpp) take from a request, checked
// before anything reaches the StorageDirectory: keys (1..kStorageKeyMax bytes
// of UTF-8), values (any JSON, null included as a service's solo.null is,
// encoded <= kStorageValueMax), import
// batches (<= kStorageListMax entries, no key twice) and the list page's
// query. Each throws BadRequest (400 invalid_request) naming what is wrong.
// The directory checks keys, values and quotas again (it is the authority);
// these checks only give the operator surface its clear, early errors.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_message.hpp"
#include "stores/storage_store.hpp"

namespace solo::net {

// The key as given; BadRequest unless 1..kStorageKeyMax bytes of valid UTF-8.
const std::string& require_storage_key(const std::string& key);

// The JSON text to store for `value` (a member of a request body); BadRequest
// when its encoding is longer than kStorageValueMax.
std::string storage_value_text(const boost::json::value& value, std::string_view what);

// PUT's body {"value": <any JSON>} -> the value's JSON text.
std::string parse_put_body(const boost::json::object& body);

// POST .../storage:import's body {"entries": [{"key", "value"}, ...]}: 1 to
// kStorageListMax entries, each checked as above, no key twice.
std::vector<StorageEntry> parse_import_body(const boost::json::object& body);

// GET .../storage's query: prefix (default ""), limit 1..kStorageListMax
// (default 100), cursor = the last key of the previous page ("" = the first).
struct StorageListQuery {
  std::string prefix;
  std::string cursor;
  std::size_t limit = 100;
};
StorageListQuery parse_list_query(const Request& request);

// A stored value's JSON text back as a JSON value (for reply bodies).
boost::json::value stored_value(std::string_view json_text);

}  // namespace solo::net
