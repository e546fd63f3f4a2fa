// SecretMask: hides the values of a service's bound secrets in what the
// service leaves behind — its log lines, its emitted events, its errors (the
// caller's 500 message, `last_error`, `service_crashed`, `resource_violation`,
// failed deploys and swaps).
//
// It learns a value when the service reads it (ServiceActor::secret), so it
// masks exactly what the code could have seen, across incarnations and
// rotations, without decrypting secrets the code never asked for. Every
// occurrence of a value is replaced by "***".
//
// What it is not: a defence against code that means to leak. A service that
// encodes, splits or reverses a value gets it past any mask; the defence
// against that is who may bind a secret (`secrets:read` on it, at deploy and
// swap). Values shorter than kMinMaskedBytes are not masked: hiding every "a"
// of a log would ruin it and still give the value away by its absence.
//
// Owned by one ServiceActor; engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace solo {

class SecretMask {
 public:
  static constexpr size_t kMinMaskedBytes = 4;
  // A service reads at most a few secrets; rotations add values. Past this
  // many the value learned first is forgotten (rotated away long ago).
  static constexpr size_t kMaxValues = 32;
  static constexpr std::string_view kMask = "***";

  // Remembers a value the service has read.
  void learn(std::string_view value);

  // `text` with every learned value replaced by kMask.
  std::string apply(std::string_view text) const;
  // The same for every string (and object key) inside `value`, in place.
  void apply_in_place(boost::json::value& value) const;

  bool empty() const { return values_.empty(); }

 private:
  struct Learned {
    std::string value;
    uint64_t order = 0;  // when it was learned
  };
  // Longest first, so that a value containing another is masked whole.
  std::vector<Learned> values_;
  uint64_t learned_ = 0;
};

}  // namespace solo
