#include "apps/mcp_stdio_framing.hpp"

#include <boost/json.hpp>

namespace solo::mcp_stdio {

namespace {

std::string without_cr(std::string text) {
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// A parsed message object: is it a request (method and id), initialize?
void classify_message(const boost::json::value& message, LineKind& kind) {
  const auto* object = message.if_object();
  if (!object) return;
  const auto* method = object->if_contains("method");
  const auto* id = object->if_contains("id");
  if (!method || !method->is_string() || !id) return;
  if (!id->is_string() && !id->is_int64() && !id->is_uint64()) return;  // the server answers id null
  kind.request_ids.push_back(*id);
  if (method->as_string() == "initialize") kind.initialize = true;
}

// A JSON-RPC message, or a batch of them: what may reach stdout. Solo's REST
// error bodies ({"error","message"}) are not, and are reported instead.
bool is_json_rpc(const boost::json::value& value) {
  auto is_message = [](const boost::json::value& item) {
    const auto* object = item.if_object();
    if (!object) return false;
    const auto* version = object->if_contains("jsonrpc");
    return version && version->is_string() && version->as_string() == "2.0";
  };
  if (const auto* batch = value.if_array()) {
    if (batch->empty()) return false;
    for (const auto& item : *batch) {
      if (!is_message(item)) return false;
    }
    return true;
  }
  return is_message(value);
}

}  // namespace

std::vector<LineSplitter::Line> LineSplitter::feed(std::string_view piece) {
  std::vector<Line> lines;
  while (!piece.empty()) {
    auto newline = piece.find('\n');
    auto part = piece.substr(0, newline);
    if (!dropping_) {
      // One byte over the cap is allowed for a '\r' that is trimmed below.
      if (pending_.size() + part.size() > max_line_ + 1) {
        pending_.clear();
        dropping_ = true;
      } else {
        pending_.append(part);
      }
    }
    if (newline == std::string_view::npos) break;
    if (dropping_) {
      lines.push_back({{}, true});
    } else {
      auto text = without_cr(std::move(pending_));
      if (text.size() > max_line_) {
        lines.push_back({{}, true});
      } else {
        lines.push_back({std::move(text), false});
      }
    }
    pending_.clear();
    dropping_ = false;
    piece.remove_prefix(newline + 1);
  }
  return lines;
}

std::optional<LineSplitter::Line> LineSplitter::finish() {
  std::optional<Line> last;
  if (dropping_) {
    last = Line{{}, true};
  } else if (!pending_.empty()) {
    last = Line{without_cr(std::move(pending_)), false};
  }
  pending_.clear();
  dropping_ = false;
  return last;
}

LineKind classify(std::string_view line) {
  LineKind kind;
  if (is_blank(line)) {
    kind.blank = true;
    return kind;
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec);
  if (ec) return kind;
  if (const auto* batch = value.if_array()) {
    for (const auto& message : *batch) classify_message(message, kind);
  } else {
    classify_message(value, kind);
  }
  return kind;
}

std::vector<std::string> answer_lines(std::string_view content_type, std::string_view body) {
  std::vector<std::string> lines;
  if (content_type.find("text/event-stream") != std::string_view::npos) {
    net::SseParser parser;
    auto events = parser.feed(body);
    // A stream the server ended without a blank line after the last event.
    for (auto& event : parser.feed("\n\n")) events.push_back(std::move(event));
    for (const auto& event : events) {
      if (auto line = event_line(event)) lines.push_back(std::move(*line));
    }
    return lines;
  }
  if (is_blank(body)) return lines;
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (!ec && is_json_rpc(value)) lines.push_back(boost::json::serialize(value));
  return lines;
}

std::optional<std::string> event_line(const net::SseEvent& event) {
  if (is_blank(event.data)) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(event.data, ec);
  if (ec || !is_json_rpc(value)) return std::nullopt;
  // Re-serialized: the data may span several lines, stdout must get one.
  return boost::json::serialize(value);
}

std::string error_line(const boost::json::value& id, int code, std::string_view message) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  boost::json::object response;
  response["jsonrpc"] = "2.0";
  response["id"] = id;
  response["error"] = std::move(error);
  return boost::json::serialize(response);
}

std::string status_message(int status, std::string_view body, bool in_session) {
  std::string text = "the Solo server answered HTTP " + std::to_string(status);
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (!ec && value.is_object()) {
    const auto& object = value.as_object();
    const auto* code = object.if_contains("error");
    const auto* message = object.if_contains("message");
    if (code && code->is_string()) text += " " + std::string(code->as_string());
    if (message && message->is_string()) text += ": " + std::string(message->as_string());
  } else if (!is_blank(body)) {
    constexpr std::size_t kShown = 300;
    text += ": " + std::string(body.substr(0, kShown));
  }
  if (status == 401) text += " (the token given to solo mcp is missing, unknown, expired or revoked)";
  if (status == 404 && in_session) {
    text += " (the server no longer knows this MCP session; restart solo mcp to begin a new one)";
  } else if (status == 404) {
    text += " (no MCP endpoint at URL/mcp: is --url a Solo server?)";
  }
  return text;
}

}  // namespace solo::mcp_stdio
