// TLS set-up for both ends of HTTPS, in one place: the server's and the
// client's OpenSSL contexts (protocol floor, cipher choice, certificate and
// key loading, peer verification), the per-connection check that the server
// names the host the client dialled, and OpenSSL's reasons as text.
//
// Protocol: TLS 1.2 and 1.3 only, no compression, no renegotiation; for 1.2
// the server offers forward-secret AEAD suites only (1.3 suites are all AEAD
// and OpenSSL's defaults stand). Files are checked for readability first, so
// a missing file is reported with the system's reason rather than OpenSSL's.
//
// Used by net/http_server.cpp (HTTPS listener) and net/http_client.cpp
// (https:// URLs). No Beast here; the contexts are Asio's.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <openssl/types.h>

namespace boost::asio::ssl {
class context;
}
namespace boost::system {
class error_code;
}

namespace solo::net {

struct TlsServerOptions {
  std::string cert_file;       // PEM: the server certificate, then any intermediates
  std::string key_file;        // PEM: its private key
  std::string client_ca_file;  // PEM CA bundle; when set, client certificates are required and verified
  std::chrono::milliseconds handshake_timeout{10000};  // from accept to the end of the handshake
};

struct TlsClientOptions {
  std::string ca_file;    // PEM bundle to trust; empty: the system's default store
  std::string cert_file;  // PEM client certificate (chain) for mutual TLS; needs key_file
  std::string key_file;   // its private key
};

// The server's context. Throws std::runtime_error "cannot load TLS
// certificate FILE: why" (also "TLS key", "TLS client CA"; a key that does not
// match the certificate says so). With client_ca_file, a client must present
// a certificate that CA signed.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const TlsServerOptions& options);

// The client's context: the server's certificate must verify against ca_file
// (or the system's store). Throws std::invalid_argument "cannot load CA
// certificate FILE: why" (also "client certificate", "client key").
std::unique_ptr<boost::asio::ssl::context> make_client_tls_context(const TlsClientOptions& options);

// Before a client handshake on `ssl`: the server's certificate must name
// `host` (a DNS name, or an IP address, bracketed or not); SNI is sent for
// DNS names only.
void expect_server_name(SSL* ssl, const std::string& host);

// Why a client handshake on `ssl` failed: OpenSSL's reason, plus the
// certificate verification error when there is one. Clears OpenSSL's queue.
std::string client_handshake_failure(SSL* ssl, const boost::system::error_code& ec);

// OpenSSL's text for an error of Asio's SSL category, else the error's message.
std::string openssl_reason(const boost::system::error_code& ec);

}  // namespace solo::net
