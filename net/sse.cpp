// Server-Sent Events formatting and parsing (WHATWG HTML, "server-sent events").
#include "net/sse.hpp"

namespace solo::net {

std::string format_sse_event(std::optional<std::uint64_t> id, std::string_view type,
                             std::string_view data) {
  std::string out;
  out.reserve(data.size() + type.size() + 32);
  if (id) out.append("id: ").append(std::to_string(*id)).append("\n");
  if (!type.empty()) out.append("event: ").append(type).append("\n");
  for (;;) {
    const auto newline = data.find('\n');
    out.append("data: ").append(data.substr(0, newline)).append("\n");
    if (newline == std::string_view::npos) break;
    data.remove_prefix(newline + 1);
  }
  out.append("\n");
  return out;
}

std::string sse_heartbeat() { return ": heartbeat\n\n"; }

std::vector<SseEvent> SseParser::feed(std::string_view piece) {
  std::vector<SseEvent> out;
  pending_.append(piece);
  std::size_t start = 0;
  for (;;) {
    const auto newline = pending_.find('\n', start);
    if (newline == std::string::npos) break;
    std::string_view line(pending_.data() + start, newline - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    process_line(line, out);
    start = newline + 1;
  }
  pending_.erase(0, start);
  return out;
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {  // blank line: dispatch
    if (has_data_ || has_fields_) out.push_back(std::move(current_));
    current_ = SseEvent{};
    has_data_ = has_fields_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment, e.g. heartbeat
  const auto colon = line.find(':');
  const auto field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
    has_fields_ = true;
  } else if (field == "id") {
    current_.id = std::string(value);
    last_event_id_ = current_.id;
    has_fields_ = true;
  }
}

}  // namespace solo::net
