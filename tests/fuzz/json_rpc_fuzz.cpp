// Fuzz target: the JSON-RPC layer of the MCP server (net/mcp/json_rpc.hpp),
// the first thing a /mcp body (or a `solo mcp` stdin line) meets.
//
// Input: the first byte chooses whether batches are allowed (its low bit);
// the rest is the body. Invariants:
//   - parse_body never throws and answers with at least one message or error;
//   - a body that is not a JSON array yields at most one message or error;
//     without batches allowed, never more than one;
//   - a batch yields at most max_batch_messages answers;
//   - every message is well-formed: a request has a string or integer id and
//     a non-empty method, a notification a method and no id, a response an id
//     and exactly one of result and error; params are an object, an array or
//     absent;
//   - every error is a JSON-RPC 2.0 error object with one of the standard
//     codes and an id that is null, a string or an integer; it serializes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "fuzz/fuzz_check.hpp"
#include "net/mcp/json_rpc.hpp"

namespace json = boost::json;
namespace mcp = solo::net::mcp;

namespace {

bool id_ok(const json::value& id) { return id.is_string() || id.is_int64() || id.is_uint64(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool allow_batch = (data[0] & 1) != 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto parsed = mcp::parse_body(body, allow_batch);

  const auto answers = parsed.messages.size() + parsed.errors.size();
  FUZZ_CHECK(answers >= 1, "no message and no error");
  if (!parsed.batch || !allow_batch) FUZZ_CHECK(answers == 1, "more than one answer without a batch");
  FUZZ_CHECK(answers <= mcp::max_batch_messages, "a batch beyond the bound");

  for (const auto& message : parsed.messages) {
    using Kind = mcp::RpcMessage::Kind;
    FUZZ_CHECK(message.params.is_null() || message.params.is_object() || message.params.is_array(), "params shape");
    switch (message.kind) {
      case Kind::request:
        FUZZ_CHECK(id_ok(message.id) && !message.method.empty(), "request without id or method");
        break;
      case Kind::notification:
        FUZZ_CHECK(message.id.is_null() && !message.method.empty(), "notification with an id or without a method");
        break;
      case Kind::response:
        FUZZ_CHECK(id_ok(message.id) && message.method.empty(), "response without id");
        FUZZ_CHECK(message.result.is_null() || !message.error, "response with both result and error");
        break;
    }
  }
  for (const auto& error : parsed.errors) {
    FUZZ_CHECK(error.at("jsonrpc") == "2.0", "error without jsonrpc 2.0");
    const auto& id = error.at("id");
    FUZZ_CHECK(id.is_null() || id_ok(id), "error id");
    const auto code = error.at("error").at("code").as_int64();
    FUZZ_CHECK(code == mcp::rpc_code::parse_error || code == mcp::rpc_code::invalid_request, "unexpected error code");
    FUZZ_CHECK(!error.at("error").at("message").as_string().empty(), "error without a message");
    FUZZ_CHECK(!json::serialize(error).empty(), "error does not serialize");
  }
  return 0;
}
