// TestCerts: a throwaway PKI for TLS tests, generated with OpenSSL's EVP/X509
// API and written as PEM files into a directory the test owns:
//   ca            a self-signed CA
//   server        a certificate for 127.0.0.1 (IP SAN) and localhost, signed by ca
//   client        a client certificate (clientAuth) signed by ca
//   other_ca      an unrelated self-signed CA
//   other_client  a client certificate signed by other_ca
// Keys are EC P-256 (fast to generate). Certificates are valid from an hour
// ago to a day from now.
#pragma once

#include <filesystem>

namespace solo::test {

struct CertFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

struct TestCerts {
  explicit TestCerts(const std::filesystem::path& dir);

  CertFiles ca;
  CertFiles server;
  CertFiles client;
  CertFiles other_ca;
  CertFiles other_client;
};

}  // namespace solo::test
