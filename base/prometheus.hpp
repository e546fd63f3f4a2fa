// The Prometheus text exposition format, written in one place: every
// component that shows figures on /metrics appends its lines with these
// functions (a family header, then its samples), so escaping and number
// formatting are the same everywhere.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace solo::prometheus {

// A label: name and (unescaped) value.
using Label = std::pair<std::string_view, std::string_view>;

// "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram).
void family(std::string& out, std::string_view name, std::string_view help, std::string_view type);
// "name{a="x",b="y"} value\n" (no braces without labels); values are escaped.
void sample(std::string& out, std::string_view name, std::initializer_list<Label> labels, double value);
void sample(std::string& out, std::string_view name, double value);

// A whole family of one unlabelled sample.
void counter(std::string& out, std::string_view name, std::string_view help, double value);
void gauge(std::string& out, std::string_view name, std::string_view help, double value);

// Shortest text that reads back as the same double ("3", "0.25", "1e+20").
std::string number(double value);
// Backslash, double quote and newline escaped, as label values need.
std::string escape_label(std::string_view value);

}  // namespace solo::prometheus
