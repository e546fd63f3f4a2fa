// The TLS contexts of the server and the client (see tls_context.hpp).
#include "net/tls_context.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace solo::net {

namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only (1.3 suites
// are all AEAD and OpenSSL's defaults stand).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Whether `file` can be opened; else the system's reason (OpenSSL's own
// reasons for a missing file are cryptic).
std::string unreadable(const std::string& file) {
  std::ifstream in(file);
  return in ? std::string() : std::strerror(errno);
}

// The options both ends share: TLS 1.2 or later, no compression.
std::unique_ptr<ssl::context> make_context(ssl::context::method method) {
  auto context = std::make_unique<ssl::context>(method);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  return context;
}

}  // namespace

std::string openssl_reason(const boost::system::error_code& ec) {
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    char text[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), text, sizeof text);
    return text;
  }
  return ec.message();
}

std::unique_ptr<ssl::context> make_server_tls_context(const TlsServerOptions& tls) {
  // Throws "cannot load TLS <what> FILE: why" unless the file can be opened.
  auto check_readable = [](const std::string& what, const std::string& file) {
    if (file.empty()) throw std::runtime_error("cannot load TLS " + what + ": no file given");
    if (auto why = unreadable(file); !why.empty()) {
      throw std::runtime_error("cannot load TLS " + what + " " + file + ": " + why);
    }
  };
  auto context = make_context(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  context->set_options(ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(native, kTls12Ciphers);

  boost::system::error_code ec;
  check_readable("certificate", tls.cert_file);
  context->use_certificate_chain_file(tls.cert_file, ec);
  if (ec) throw std::runtime_error("cannot load TLS certificate " + tls.cert_file + ": " + openssl_reason(ec));
  check_readable("key", tls.key_file);
  context->use_private_key_file(tls.key_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load TLS key " + tls.key_file + ": " + openssl_reason(ec));
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw std::runtime_error("cannot load TLS key " + tls.key_file + ": it does not match the certificate " +
                             tls.cert_file);
  }
  if (!tls.client_ca_file.empty()) {
    check_readable("client CA", tls.client_ca_file);
    context->load_verify_file(tls.client_ca_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load TLS client CA " + tls.client_ca_file + ": " + openssl_reason(ec));
    }
    // Tell clients which CAs we accept, so that they pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    // Session resumption with client verification needs a session id context.
    static constexpr unsigned char kSessionContext[] = "solo";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  ERR_clear_error();
  return context;
}

std::unique_ptr<ssl::context> make_client_tls_context(const TlsClientOptions& tls) {
  auto check_readable = [](const std::string& what, const std::string& file) {
    if (auto why = unreadable(file); !why.empty()) {
      throw std::invalid_argument("cannot load " + what + " " + file + ": " + why);
    }
  };
  auto context = make_context(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  boost::system::error_code ec;
  if (tls.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) throw std::invalid_argument("cannot load the system's CA certificates: " + openssl_reason(ec));
  } else {
    check_readable("CA certificate", tls.ca_file);
    context->load_verify_file(tls.ca_file, ec);
    if (ec) throw std::invalid_argument("cannot load CA certificate " + tls.ca_file + ": " + openssl_reason(ec));
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    throw std::invalid_argument("a client certificate needs its key and a key its certificate");
  }
  if (!tls.cert_file.empty()) {
    check_readable("client certificate", tls.cert_file);
    context->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) {
      throw std::invalid_argument("cannot load client certificate " + tls.cert_file + ": " + openssl_reason(ec));
    }
    check_readable("client key", tls.key_file);
    context->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) throw std::invalid_argument("cannot load client key " + tls.key_file + ": " + openssl_reason(ec));
    if (SSL_CTX_check_private_key(native) != 1) {
      throw std::invalid_argument("cannot load client key " + tls.key_file + ": it does not match " + tls.cert_file);
    }
  }
  context->set_verify_mode(ssl::verify_peer);
  ERR_clear_error();
  return context;
}

void expect_server_name(SSL* ssl, const std::string& host) {
  const std::string bare = host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  boost::system::error_code ec;
  boost::asio::ip::make_address(bare, ec);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), bare.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, bare.c_str());  // SNI: DNS names only
    SSL_set1_host(ssl, bare.c_str());
  }
}

std::string client_handshake_failure(SSL* ssl, const boost::system::error_code& ec) {
  std::string reason = openssl_reason(ec);
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) reason += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
  ERR_clear_error();
  return reason;
}

}  // namespace solo::net
