// net/error_reply: the one mapping from the engine's Error (and StoreError) to
// an HTTP status, the documented body and Retry-After; WebSocket op replies
// are built from the same Response (reply_frame).
#include "net/error_reply.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "engine/tenancy/quota_exceeded.hpp"
#include "net/websocket_frames.hpp"
#include "stores/sqlite.hpp"

namespace solo::net {
namespace {

namespace json = boost::json;

json::object body_of(const Response& response) { return json::parse(response.body).as_object(); }

std::optional<std::string> retry_after(const Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Retry-After") return value;
  }
  return std::nullopt;
}

BOOST_AUTO_TEST_SUITE(error_reply_mapping)

BOOST_AUTO_TEST_CASE(every_kind_has_its_documented_status_and_code) {
  struct Row {
    ErrorKind kind;
    int status;
    std::string code;
  };
  const Row rows[] = {
      {ErrorKind::invalid, 400, "invalid_request"},   {ErrorKind::unauthorized, 401, "unauthorized"},
      {ErrorKind::forbidden, 403, "forbidden"},       {ErrorKind::not_found, 404, "not_found"},
      {ErrorKind::conflict, 409, "conflict"},         {ErrorKind::quota_exceeded, 429, "quota_exceeded"},
      {ErrorKind::throttled, 429, "overloaded"},      {ErrorKind::overloaded, 503, "overloaded"},
      {ErrorKind::timeout, 504, "timeout"},           {ErrorKind::stopped, 500, "service_error"},
      {ErrorKind::service_error, 500, "service_error"}, {ErrorKind::bad_reply, 500, "service_error"},
      {ErrorKind::internal, 500, "internal_error"},
  };
  for (const auto& row : rows) {
    const auto response = error_reply(Error(row.kind, "what happened"));
    BOOST_TEST(response.status == row.status, to_string(row.kind));
    const auto body = body_of(response);
    BOOST_TEST(body.at("error").as_string() == row.code, to_string(row.kind));
    BOOST_TEST(body.at("message").as_string() == "what happened");
    BOOST_TEST(body.at("timestamp").is_string());
    BOOST_TEST(body.size() == 3u);
    BOOST_TEST(!retry_after(response).has_value());
  }
}

BOOST_AUTO_TEST_CASE(retry_after_becomes_the_header_and_the_websocket_replys_retry_after) {
  const auto response =
      error_reply(Error(ErrorKind::overloaded, "service s is overloaded (mailbox full)", std::chrono::seconds(1)));
  BOOST_TEST(response.status == 503);
  BOOST_TEST(retry_after(response).value_or("") == "1");
  const auto frame = json::parse(reply_frame(json::value(7), response)).as_object();
  BOOST_TEST(frame.at("ok").as_bool() == false);
  BOOST_TEST(frame.at("error").at("error").as_string() == "overloaded");
  BOOST_TEST(frame.at("error").at("status").as_int64() == 503);
  BOOST_TEST(frame.at("error").at("retry_after").as_string() == "1");
}

BOOST_AUTO_TEST_CASE(quota_exceeded_carries_its_fields_in_the_body) {
  const auto response = error_reply(QuotaExceeded("services", 2, 2, "tenant t is at its services quota (2 of 2)"));
  BOOST_TEST(response.status == 429);
  const auto body = body_of(response);
  BOOST_TEST(body.at("error").as_string() == "quota_exceeded");
  BOOST_TEST(body.at("quota").as_string() == "services");
  BOOST_TEST(body.at("limit").to_number<uint64_t>() == 2u);
  BOOST_TEST(body.at("used").to_number<uint64_t>() == 2u);
  BOOST_TEST(body.at("timestamp").is_string());
}

BOOST_AUTO_TEST_CASE(a_store_error_is_503_store_unavailable_with_retry_after_5) {
  const auto response = error_reply(StoreError("commit failed: disk I/O error"));
  BOOST_TEST(response.status == 503);
  BOOST_TEST(retry_after(response).value_or("") == "5");
  const auto body = body_of(response);
  BOOST_TEST(body.at("error").as_string() == "store_unavailable");
  BOOST_TEST(body.at("message").as_string() ==
             "the store cannot commit (commit failed: disk I/O error); nothing was written, retry later");
}

BOOST_AUTO_TEST_CASE(an_exception_in_flight_maps_by_its_type_and_anything_else_is_a_silent_500) {
  auto store = error_reply(std::make_exception_ptr(StoreError("x")), "test");
  BOOST_TEST(store.status == 503);
  auto conflict = error_reply(std::make_exception_ptr(Error(ErrorKind::conflict, "taken")), "test");
  BOOST_TEST(conflict.status == 409);
  auto other = error_reply(std::make_exception_ptr(std::runtime_error("secret internals")), "test");
  BOOST_TEST(other.status == 500);
  BOOST_TEST(body_of(other).at("error").as_string() == "internal_error");
  BOOST_TEST(other.body.find("secret internals") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_message_that_is_not_utf8_stays_valid_json) {
  const auto response = error_reply(Error(ErrorKind::not_found, std::string("no route for /\xEC")));
  BOOST_TEST(body_of(response).at("message").as_string() == "no route for /\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace solo::net
