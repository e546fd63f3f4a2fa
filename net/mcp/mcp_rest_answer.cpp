// A REST answer read back for MCP (mcp_rest_answer.hpp).
#include "net/mcp/mcp_rest_answer.hpp"

#include <boost/json.hpp>

namespace solo::net::mcp {

namespace json = boost::json;

json::value answer_body(const Response& response) {
  boost::system::error_code ec;
  auto parsed = json::parse(response.body, ec);
  if (ec) return json::string(response.body);
  return parsed;
}

std::string answer_code(const Response& response) {
  auto body = answer_body(response);
  if (body.is_object()) {
    if (auto* code = body.as_object().if_contains("error"); code && code->is_string()) {
      return std::string(code->as_string());
    }
  }
  return "http_" + std::to_string(response.status);
}

std::optional<int> answer_retry_after(const Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name.size() == 11 && (name == "Retry-After" || name == "retry-after")) {
      try {
        return std::max(1, std::stoi(value));
      } catch (const std::exception&) {
        return 1;
      }
    }
  }
  return std::nullopt;
}

namespace {

std::string answer_message(const Response& response) {
  auto body = answer_body(response);
  if (body.is_object()) {
    if (auto* message = body.as_object().if_contains("message"); message && message->is_string()) {
      return std::string(message->as_string());
    }
  }
  return response.body.substr(0, 1000);
}

ErrorKind kind_of(std::string_view code, int status) {
  if (code == "invalid_request" || code == "too_large" || code == "method_not_allowed") return ErrorKind::invalid;
  if (code == "unauthorized") return ErrorKind::unauthorized;
  if (code == "forbidden") return ErrorKind::forbidden;
  if (code == "not_found") return ErrorKind::not_found;
  if (code == "conflict") return ErrorKind::conflict;
  if (code == "quota_exceeded") return ErrorKind::quota_exceeded;
  if (code == "overloaded") return status == 429 ? ErrorKind::throttled : ErrorKind::overloaded;
  if (code == "store_unavailable") return ErrorKind::overloaded;
  if (code == "timeout") return ErrorKind::timeout;
  if (code == "service_error") return ErrorKind::service_error;
  return ErrorKind::internal;
}

std::string retry_text(const Response& response) {
  auto seconds = answer_retry_after(response).value_or(1);
  return "retry after " + std::to_string(seconds) + " s";
}

}  // namespace

Error answer_error(const Response& response) {
  auto code = answer_code(response);
  json::object details;
  auto body = answer_body(response);
  if (body.is_object()) {
    for (const auto& [name, value] : body.as_object()) {
      if (name != "error" && name != "message" && name != "timestamp") details[name] = value;
    }
  }
  std::optional<std::chrono::seconds> retry;
  if (auto seconds = answer_retry_after(response)) retry = std::chrono::seconds(*seconds);
  return Error(kind_of(code, response.status), answer_message(response), retry, std::move(details));
}

std::string answer_advice(const Response& response, std::string_view permission) {
  auto code = answer_code(response);
  auto message = answer_message(response);
  while (!message.empty() && (message.back() == '.' || message.back() == ' ')) message.pop_back();
  std::string text = code + " (HTTP " + std::to_string(response.status) + "): " + message + ". ";
  std::string todo;
  if (code == "invalid_request") {
    todo = "The request was refused and nothing changed. Fix what the message names (for Lua that does not "
           "compile, the line it names) and call the tool again.";
  } else if (code == "unauthorized") {
    todo = "The token of this connection is missing, unknown, expired or revoked. Retrying will not help: the "
           "connection needs a valid token from the operator.";
  } else if (code == "forbidden") {
    todo = "The token lacks the permission '" + std::string(permission) +
           "' (or its resource scope does not cover this service or secret). Retrying will not help: ask the "
           "operator for a token that has it, or use a tool this token may use.";
  } else if (code == "not_found") {
    todo = "Nothing of that name exists for this tenant. Check the id (list_services, list_secrets, "
           "list_storage) and try again.";
  } else if (code == "conflict") {
    todo = "It clashes with the current state (a service of that id is already deployed, or another change is "
           "in progress). Use another service_id, replace the code with swap_code, or kill_service first.";
  } else if (code == "quota_exceeded") {
    todo = "The tenant is at one of its quotas; nothing was written. Free some (kill a service, delete data), ask "
           "for less, or ask the operator to raise the quota.";
  } else if (code == "overloaded" && response.status == 429) {
    todo = "This tenant has too many requests in flight (throttled); nothing was done: " + retry_text(response) +
           ".";
  } else if (code == "overloaded") {
    todo = "Solo or the service is busy (full mailbox, open circuit breaker after repeated failures, server "
           "starting); nothing was queued: " + retry_text(response) +
           ". If the circuit stays open, read the service's logs and fix its code.";
  } else if (code == "store_unavailable") {
    todo = "The server cannot write to its disk; nothing was written: " + retry_text(response) + ".";
  } else if (code == "timeout") {
    todo = "The service did not reply within its call_timeout_ms; the message may still be handled. Read "
           "get_logs for the service, and make the handler faster or raise limits.call_timeout_ms.";
  } else if (code == "service_error") {
    todo = "The service's own code raised this error (the message quotes it, with its Lua line), or the service "
           "is not running. Read get_logs and get_service_status, fix the code and swap_code it.";
  } else if (code == "too_large") {
    todo = "The request was over the 1 MiB body limit; send less.";
  } else {
    todo = "A failure inside Solo; retry later, and report it if it persists.";
  }
  return text + "What to do: " + todo;
}

}  // namespace solo::net::mcp
