// How the CLI prints for people: JSON indented, tables aligned, values as
// plain text. Scripts use --json, which prints the server's bodies unchanged.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace solo {

// JSON with two-space indentation; empty arrays and objects stay on one line.
std::string pretty_json(const boost::json::value& value);

// A value as a person reads it: strings without quotes, the rest as JSON.
std::string plain_text(const boost::json::value& value);

// The value of `key` in an object as plain text, "" when absent.
std::string field_text(const boost::json::value& object, const char* key);

// Rows under a header, each column as wide as its widest cell, separated by
// two spaces; the last column is not padded.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// "16.0 MiB", "812 B".
std::string human_bytes(int64_t bytes);

}  // namespace solo
