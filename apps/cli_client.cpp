#include "apps/cli_client.hpp"

#include <filesystem>
#include <fstream>

#include <charconv>
#include <cstdlib>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace solo {

namespace {

std::string option_or_env(const CliArgs& args, const std::string& option, const char* env) {
  if (auto value = args.value(option)) return *value;
  if (const char* text = std::getenv(env)) return text;
  return {};
}

}  // namespace

net::TlsClientOptions tls_options(const CliArgs& args) {
  net::TlsClientOptions tls;
  tls.ca_file = option_or_env(args, "--ca-cert", "SOLO_CA_CERT");
  tls.cert_file = option_or_env(args, "--client-cert", "SOLO_CLIENT_CERT");
  tls.key_file = option_or_env(args, "--client-key", "SOLO_CLIENT_KEY");
  if (tls.cert_file.empty() != tls.key_file.empty()) throw UsageError("--client-cert and --client-key go together");
  return tls;
}

net::HttpClient make_http(const CliArgs& args, std::chrono::milliseconds timeout) {
  auto url = server_url(args);
  auto tls = tls_options(args);
  try {
    return net::HttpClient(url, timeout, std::move(tls));
  } catch (const std::invalid_argument& error) {
    // A bad URL, or (https://) a CA or client certificate file that cannot be loaded.
    bool url_problem = std::string_view(error.what()).rfind("not an http", 0) == 0;
    throw UsageError((url_problem ? std::string("--url: ") : std::string()) + error.what());
  }
}

ServerError::ServerError(int status, std::string code, const std::string& message)
    : std::runtime_error(std::to_string(status) + " " + code + ": " + message), status_(status), code_(std::move(code)) {}

std::string server_url(const CliArgs& args) {
  auto url = option_or_env(args, "--url", "SOLO_URL");
  return url.empty() ? "http://127.0.0.1:8080" : url;
}

net::HeaderList identity_headers(const CliArgs& args) {
  net::HeaderList headers;
  auto tenant = option_or_env(args, "--tenant", "SOLO_TENANT");
  if (!tenant.empty()) headers.emplace_back("X-Tenant-ID", tenant);
  auto token = option_or_env(args, "--token", "SOLO_TOKEN");
  if (token.empty()) {
    // The admin token the server wrote at its first start, when this CLI runs
    // beside it (--data DIR, default ./data).
    std::ifstream file(std::filesystem::path(args.value("--data").value_or("./data")) / "admin.token");
    std::getline(file, token);
  }
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return headers;
}

std::string url_encode(std::string_view text) {
  return boost::urls::encode(boost::urls::string_view(text.data(), text.size()), boost::urls::unreserved_chars);
}

int64_t parse_count(const std::string& text, const std::string& what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    throw UsageError(what + " must be a non-negative integer, not '" + text + "'");
  }
  return value;
}

ServerError server_error(const net::ClientResponse& response) {
  boost::system::error_code ec;
  auto body = boost::json::parse(response.body, ec);
  if (!ec && body.is_object()) {
    const auto& object = body.as_object();
    auto code = object.if_contains("error");
    auto message = object.if_contains("message");
    if (code && code->is_string() && message && message->is_string()) {
      return ServerError(response.status, std::string(code->as_string()), std::string(message->as_string()));
    }
  }
  std::string text = response.body.empty() ? "(no body)" : response.body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return ServerError(response.status, "error", text);
}

CliClient::CliClient(const CliArgs& args, std::chrono::milliseconds timeout)
    : headers_(identity_headers(args)), http_(make_http(args, timeout)), timeout_(timeout), tls_(tls_options(args)) {}

bool CliClient::follow_standby(int status, const std::string& body) {
  if (status != 503 || followed_) return false;
  boost::system::error_code ec;
  auto reply = boost::json::parse(body, ec);
  if (ec || !reply.is_object()) return false;
  const auto& object = reply.as_object();
  auto code = object.if_contains("error");
  auto active = object.if_contains("active");
  if (!code || !code->is_string() || code->as_string() != "standby" || !active || !active->is_object()) return false;
  auto url = active->as_object().if_contains("url");
  if (!url || !url->is_string() || url->as_string() == http_.base_url()) return false;
  try {
    http_ = net::HttpClient(std::string(url->as_string()), timeout_, tls_);
  } catch (const std::invalid_argument&) {
    return false;  // not a URL this client can follow: the 503 stands
  }
  followed_ = true;
  return true;
}

net::ClientResponse CliClient::send(std::string_view method, std::string_view target, std::string_view body,
                                    net::HeaderList extra) {
  auto headers = headers_;
  headers.insert(headers.end(), extra.begin(), extra.end());
  try {
    auto response = http_.request(method, target, body, headers);
    if (follow_standby(response.status, response.body)) response = http_.request(method, target, body, headers);
    return response;
  } catch (const std::runtime_error& error) {
    throw Unreachable(error.what());
  }
}

net::ClientResponse CliClient::expect(std::string_view method, std::string_view target, std::string_view body) {
  auto response = send(method, target, body);
  if (response.status < 200 || response.status >= 300) throw server_error(response);
  return response;
}

boost::json::value CliClient::expect_json(std::string_view method, std::string_view target, std::string_view body) {
  auto response = expect(method, target, body);
  boost::system::error_code ec;
  auto value = boost::json::parse(response.body, ec);
  if (ec) throw ServerError(response.status, "bad_response", "the server's answer is not JSON: " + response.body);
  return value;
}

void CliClient::stream(std::string_view target, const std::function<bool(std::string_view)>& on_data) {
  auto headers = headers_;
  headers.emplace_back("Accept", "text/event-stream");
  try {
    try {
      http_.stream(target, headers, on_data);
    } catch (const net::HttpStatusError& error) {
      if (!follow_standby(error.status(), error.body())) throw;
      http_.stream(target, headers, on_data);
    }
  } catch (const net::HttpStatusError& error) {
    net::ClientResponse response;
    response.status = error.status();
    response.body = error.body();
    throw server_error(response);
  } catch (const std::runtime_error& error) {
    throw Unreachable(error.what());
  }
}

}  // namespace solo
