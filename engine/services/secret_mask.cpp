#include "engine/services/secret_mask.hpp"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace solo {

void SecretMask::learn(std::string_view value) {
  if (value.size() < kMinMaskedBytes) return;
  auto same = [&](const Learned& learned) { return learned.value == value; };
  if (std::any_of(values_.begin(), values_.end(), same)) return;
  if (values_.size() >= kMaxValues) {
    auto first = [](const Learned& a, const Learned& b) { return a.order < b.order; };
    values_.erase(std::min_element(values_.begin(), values_.end(), first));
  }
  values_.push_back(Learned{std::string(value), learned_++});
  std::stable_sort(values_.begin(), values_.end(),
                   [](const Learned& a, const Learned& b) { return a.value.size() > b.value.size(); });
}

std::string SecretMask::apply(std::string_view text) const {
  std::string out(text);
  for (const auto& learned : values_) {
    const std::string& value = learned.value;
    for (size_t at = out.find(value); at != std::string::npos; at = out.find(value, at + kMask.size())) {
      out.replace(at, value.size(), kMask);
    }
  }
  return out;
}

void SecretMask::apply_in_place(boost::json::value& value) const {
  if (values_.empty()) return;
  if (auto* text = value.if_string()) {
    *text = apply(*text);
  } else if (auto* array = value.if_array()) {
    for (auto& item : *array) apply_in_place(item);
  } else if (auto* object = value.if_object()) {
    boost::json::object masked;
    masked.reserve(object->size());
    for (auto& [key, item] : *object) {
      apply_in_place(item);
      masked[apply(key)] = std::move(item);
    }
    *object = std::move(masked);
  }
}

}  // namespace solo
