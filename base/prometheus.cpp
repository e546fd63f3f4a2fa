#include "base/prometheus.hpp"

#include <charconv>

namespace solo::prometheus {

void family(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::initializer_list<Label> labels, double value) {
  out.append(name);
  if (labels.size() > 0) {
    out += '{';
    bool first = true;
    for (const auto& [label, text] : labels) {
      if (!first) out += ',';
      first = false;
      out.append(label).append("=\"").append(escape_label(text)).append("\"");
    }
    out += '}';
  }
  out.append(" ").append(number(value)).append("\n");
}

void sample(std::string& out, std::string_view name, double value) { sample(out, name, {}, value); }

void counter(std::string& out, std::string_view name, std::string_view help, double value) {
  family(out, name, help, "counter");
  sample(out, name, value);
}

void gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  family(out, name, help, "gauge");
  sample(out, name, value);
}

std::string number(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("NaN");
}

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace solo::prometheus
