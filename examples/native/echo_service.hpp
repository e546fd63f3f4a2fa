// EchoService: the example native service (docs/services.md, "Native services").
// An embedding program registers it by name and deploys it with
// {"format": "native", "code": "echo"}; it then lives the life of any service:
// mailbox, supervision and restarts, events, hot swap.
//
// Messages (handle_call):
//   {"op": "echo", "text": T}          -> {"echo": T, "count": N}   (N counts echoes)
//   {"op": "count"}                    -> {"count": N, "reminders": R}
//   {"op": "remind", "ms": M, "text"}  -> {"timer": id}; after M ms handle_info
//                                          logs the text and emits a "reminded" event
//   {"op": "crash"}                    -> throws: the service crashes and restarts
// Anything else is an error of the call (it throws, so it crashes too; a
// native handler that throws is a crash exactly as a Lua error is).
//
// Config: {"prefix": P} is put before every echo. Two types share this code:
// "echo" and "echo_upper" (echoes in upper case), so that a hot swap between
// two native types can carry the counters across with export_state /
// import_state.
//
// Header-only so that the example program and the embedding test share it
// without a library of their own. Engine thread only, like every handler.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>

#include "engine/services/native_service.hpp"

namespace solo::examples {

class EchoService final : public NativeService {
 public:
  explicit EchoService(bool upper) : upper_(upper) {}

  void init(const boost::json::value& config, NativeContext& context) override {
    if (const auto* object = config.if_object()) {
      if (const auto* prefix = object->if_contains("prefix"); prefix && prefix->is_string()) {
        prefix_ = std::string(prefix->as_string());
      }
    }
    context.log("info", "echo service " + context.service_id() + " started");
  }

  boost::json::value handle_call(const boost::json::value& msg, NativeContext& context) override {
    const auto* object = msg.if_object();
    std::string op = object && object->contains("op") && object->at("op").is_string()
                         ? std::string(object->at("op").as_string())
                         : "";
    if (op == "echo") return echo(*object);
    if (op == "count") return counts();
    if (op == "remind") return remind(*object, context);
    if (op == "crash") throw std::runtime_error("asked to crash");
    throw std::invalid_argument("unknown op '" + op + "' (echo, count, remind, crash)");
  }

  void handle_info(const boost::json::value& msg, NativeContext& context) override {
    ++reminders_;
    std::string text = msg.is_object() && msg.as_object().contains("text") && msg.at("text").is_string()
                           ? std::string(msg.at("text").as_string())
                           : "";
    context.log("info", "reminder: " + text);
    boost::json::object payload;
    payload["text"] = text;
    payload["reminders"] = reminders_;
    context.emit("reminded", std::move(payload));
  }

  void terminate(std::string_view reason, NativeContext& context) override {
    context.log("info", "echo service stopping: " + std::string(reason));
  }

  boost::json::value export_state() override {
    boost::json::object state;
    state["count"] = count_;
    state["reminders"] = reminders_;
    state["prefix"] = prefix_;
    return state;
  }

  void import_state(const boost::json::value& state, int64_t old_version) override {
    const auto& object = state.as_object();  // throws on a foreign state: the swap fails, v1 keeps running
    count_ = object.at("count").as_int64();
    reminders_ = object.at("reminders").as_int64();
    prefix_ = std::string(object.at("prefix").as_string());
  }

 private:
  boost::json::value echo(const boost::json::object& msg) {
    std::string text = msg.contains("text") && msg.at("text").is_string() ? std::string(msg.at("text").as_string())
                                                                         : "";
    if (upper_) {
      std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    }
    boost::json::object reply;
    reply["echo"] = prefix_ + text;
    reply["count"] = ++count_;
    return reply;
  }

  boost::json::value counts() const {
    boost::json::object reply;
    reply["count"] = count_;
    reply["reminders"] = reminders_;
    return reply;
  }

  boost::json::value remind(const boost::json::object& msg, NativeContext& context) {
    int64_t ms = msg.contains("ms") && msg.at("ms").is_int64() ? msg.at("ms").as_int64() : 0;
    boost::json::object note;
    note["text"] = msg.contains("text") ? msg.at("text") : boost::json::value("");
    boost::json::object reply;
    reply["timer"] = context.after(ms, std::move(note));
    return reply;
  }

  bool upper_;
  std::string prefix_;
  int64_t count_ = 0;
  int64_t reminders_ = 0;
};

// Registers "echo" and "echo_upper".
inline void register_echo_types(NativeServiceTypes& types) {
  types.add("echo", [] { return std::make_unique<EchoService>(false); });
  types.add("echo_upper", [] { return std::make_unique<EchoService>(true); });
}

}  // namespace solo::examples
