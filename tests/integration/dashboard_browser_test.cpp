// The dashboard at /ui in a real browser (issue 15): headless Chromium
// (support/chromium.hpp) signs in through the page's own form, walks every
// view, and does what a new user would: deploys the counter example from the
// services view, calls it from the call console, watches its figures and
// charts move, swaps it (the versions list then diffs the two), and kills it,
// each behind the page's confirmation. A tenant's narrow token sees only its
// tenant and only the views it may use, while the admin switches between
// tenants in the header; text a hostile service writes (its
// logs, its replies) is shown as text, never run. At a phone's width the page
// does not overflow. No console error anywhere. Each view leaves a
// screenshot in <build>/screenshots (README's docs/images/dashboard.png is
// one of them).
//
// A missing /usr/bin/chromium fails the test (it is part of `make test`,
// which installs it), never skips it.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>

#include "support/async_test.hpp"
#include "support/chromium.hpp"
#include "support/solo_process.hpp"

using solo::test::Chromium;
using solo::test::DevToolsPage;
using solo::test::js_string;
using solo::test::SoloProcess;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

const std::filesystem::path kScreenshots = SOLO_SCREENSHOT_DIR;

// A service that writes markup into its log and its reply: the page must show
// it as text (and the CSP would refuse an inline handler anyway).
constexpr const char* kHostile = R"(
function init(config) return {} end
function handle_call(msg, state)
  solo.log("info", "<img src=x onerror=\"window.__pwned = 1\"><b>bold</b>")
  return { html = "<script>window.__pwned = 2</script>" }, state
end
)";

// Chromium on /ui with one DevTools page session.
struct Browser {
  Browser(const std::filesystem::path& scratch, const std::string& url) : chromium(scratch, url) {
    const auto port = chromium.devtools_port(120s);  // Chromium may start slowly on a loaded machine
    BOOST_TEST_REQUIRE(port != 0, "chromium never offered DevTools: " << chromium.stderr_text());
    const auto target = chromium.page_target(port, 60s);
    BOOST_TEST_REQUIRE(!target.empty(), "chromium shows no page: " << chromium.stderr_text());
    page.emplace(port, target);
  }
  Chromium chromium;
  std::optional<DevToolsPage> page;
};

std::string text_of(DevToolsPage& page, const std::string& selector) {
  auto value = page.evaluate("(document.querySelector(" + js_string(selector) + ") || {}).textContent || ''");
  return value.is_string() ? std::string(value.as_string()) : std::string();
}

// Waits until the view named `view` has its first data on screen (app.js sets
// body[data-view] then).
void expect_view(DevToolsPage& page, const std::string& view) {
  BOOST_TEST_REQUIRE(page.wait_for("document.body && document.body.dataset.view === " + js_string(view), 30s),
                     "the " << view << " view never became ready; on screen: " << text_of(page, "body")
                            << "; toast: " << text_of(page, "#toasts"));
}

void go(DevToolsPage& page, const std::string& hash, const std::string& view) {
  page.evaluate("location.hash = " + js_string(hash));
  expect_view(page, view);
}

void sign_in(DevToolsPage& page, const std::string& token) {
  expect_view(page, "sign-in");
  page.evaluate("document.getElementById('token').value = " + js_string(token) +
                "; document.getElementById('sign-in').requestSubmit()");
}

void shot(DevToolsPage& page, const std::string& name) {
  const auto size = page.screenshot(kScreenshots / (name + ".png"));
  BOOST_TEST(size > 5000u, name << ".png is only " << size << " bytes");
}

// Sets a form field the way typing does (value, then an input event).
void type_into(DevToolsPage& page, const std::string& selector, const std::string& text) {
  page.evaluate("(() => { const f = document.querySelector(" + js_string(selector) + "); f.value = " +
                js_string(text) + "; f.dispatchEvent(new Event('input', {bubbles: true})); })()");
}

void click(DevToolsPage& page, const std::string& selector) {
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelector(" + js_string(selector) + ")", 10s), selector);
  page.evaluate("document.querySelector(" + js_string(selector) + ").click()");
}

// Answers the page's confirmation dialog with "Confirm".
void confirm(DevToolsPage& page) {
  BOOST_TEST_REQUIRE(page.wait_for("document.getElementById('confirm').open", 10s), "no confirmation asked");
  click(page, "#confirm-yes");
}

std::string chart_points(const std::string& name) {
  return "((c) => c ? Chart.getChart(c).data.datasets[0].data.filter((v) => v !== null).length : 0)"
         "(document.querySelector('canvas[data-chart=\"" +
         name + "\"]'))";
}

// Every error the page reported is a test failure, but for the browser's own
// line about a response the test provoked on purpose (a 401 or 404 the page
// then showed in its own way), named by a piece of its URL.
void expect_no_console_errors(DevToolsPage& page, std::initializer_list<std::string> provoked = {}) {
  for (const auto& error : page.errors()) {
    bool expected = false;
    for (const auto& url : provoked) {
      expected = expected || (error.rfind("log (network):", 0) == 0 && error.find(url) != std::string::npos);
    }
    if (!expected) BOOST_ERROR("the page reported: " << error);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dashboard_browser)

BOOST_AUTO_TEST_CASE(the_admin_deploys_calls_watches_swaps_and_kills_the_counter_from_the_page) {
  BOOST_TEST_REQUIRE(std::filesystem::exists(solo::test::kChromiumPath),
                     solo::test::kChromiumPath << " is missing: `make deps` installs Debian's chromium");
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data");
  Browser browser(dir.path(), solo.url() + "/ui");
  auto& page = *browser.page;

  sign_in(page, solo.admin_token());
  expect_view(page, "overview");
  BOOST_TEST(page.wait_for("document.querySelector('#health [data-figure=\"status\"] .value').textContent === "
                           "'healthy'",
                           10s));
  BOOST_TEST(text_of(page, "#who") == "admin");
  // Every nav entry is there for the admin.
  BOOST_TEST(page.evaluate("[...document.querySelectorAll('nav a[data-nav]')].filter((a) => !a.hidden).length") ==
             json::value(6));

  // Services: deploy the counter example from the form.
  go(page, "#/services", "services");
  click(page, "#example-counter");
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelector('#deploy-form textarea[name=code]').value.includes("
                                   "'handle_call')",
                                   10s));
  BOOST_TEST(page.evaluate("document.querySelector('#deploy-form input[name=service_id]').value") ==
             json::value("counter"));
  page.evaluate("document.getElementById('deploy-form').requestSubmit()");
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelector('#services-table tr[data-service-id=\"counter\"]"
                                   " td[data-col=\"status\"]').textContent === 'running'",
                                   15s),
                     text_of(page, "#services-table") << " toast: " << text_of(page, "#toasts"));
  // The deploy really happened, as the API sees it.
  auto listed = solo.client().request("GET", "/services/counter");
  BOOST_TEST(listed.status == 200, listed.body);
  shot(page, "services");

  // Its page: calls from the console move the figures and the charts.
  click(page, "#services-table tr[data-service-id=\"counter\"] a");
  expect_view(page, "service");
  BOOST_TEST(text_of(page, ".view-service h1") == "counter");
  for (int i = 1; i <= 5; ++i) {
    type_into(page, "#call-form textarea[name=message]", R"({"op": "inc"})");
    page.evaluate("document.getElementById('call-reply').dataset.state = ''; "
                  "document.getElementById('call-form').requestSubmit()");
    BOOST_TEST_REQUIRE(page.wait_for("document.getElementById('call-reply').dataset.state === 'ok'", 10s),
                       text_of(page, "#call-reply"));
    BOOST_TEST(json::parse(text_of(page, "#call-reply")).at("count").as_int64() == i);
  }
  BOOST_TEST(page.wait_for("Number(document.querySelector('#service-figures [data-figure=\"calls\"] .value')"
                           ".textContent.replace(/\\D/g, '')) >= 5",
                           15s),
             text_of(page, "#service-figures"));
  // Charts take one point per stats frame (1/s): a few frames in, they have a line.
  BOOST_TEST(page.wait_for(chart_points("calls_per_s") + " >= 2", 15s));
  BOOST_TEST(page.wait_for(chart_points("memory") + " >= 2", 15s));
  shot(page, "service");

  // Swap: new code through the form, confirmed; version 2, and the two
  // versions diff.
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelector('#swap-form textarea[name=code]').value.includes("
                                   "'handle_call')",
                                   10s));
  page.evaluate("(() => { const t = document.querySelector('#swap-form textarea[name=code]');"
                " t.value = t.value.replace('-- counter: a number that grows.', '-- counter v2: swapped from the page.'); })()");
  page.evaluate("document.getElementById('swap-form').requestSubmit()");
  confirm(page);
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelector('#service-figures [data-figure=\"version\"] .value')"
                                   ".textContent === '2'",
                                   15s),
                     text_of(page, "#service-figures") << " toast: " << text_of(page, "#toasts"));
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelectorAll('#service-versions input[data-version]').length === 2",
                                   15s),
                     text_of(page, "#service-versions"));
  page.evaluate("document.querySelectorAll('#service-versions input[data-version]').forEach((b) => b.click())");
  BOOST_TEST_REQUIRE(page.wait_for("!document.getElementById('version-diff').hidden", 10s));
  const auto diff = text_of(page, "#version-diff");
  BOOST_TEST(diff.find("+ -- counter v2: swapped from the page.") != std::string::npos, diff);
  BOOST_TEST(diff.find("- -- counter: a number that grows.") != std::string::npos, diff);
  // The state survived the swap: the count goes on from 5.
  type_into(page, "#call-form textarea[name=message]", R"({"op": "get"})");
  page.evaluate("document.getElementById('call-reply').dataset.state = ''; "
                "document.getElementById('call-form').requestSubmit()");
  BOOST_TEST_REQUIRE(page.wait_for("document.getElementById('call-reply').dataset.state === 'ok'", 10s));
  BOOST_TEST(json::parse(text_of(page, "#call-reply")).at("count").as_int64() == 5);
  // A bad message is an error in the reply box and in the figures (the
  // handler's error restarts the service), and the page goes on.
  type_into(page, "#call-form textarea[name=message]", R"({"op": "explode"})");
  page.evaluate("document.getElementById('call-reply').dataset.state = ''; "
                "document.getElementById('call-form').requestSubmit()");
  BOOST_TEST(page.wait_for("document.getElementById('call-reply').dataset.state === 'error'", 10s));
  BOOST_TEST(text_of(page, "#call-reply").find("unknown op explode") != std::string::npos,
             text_of(page, "#call-reply"));
  BOOST_TEST(page.wait_for("document.querySelector('#service-figures [data-figure=\"errors\"] .value')"
                           ".textContent === '1'",
                           15s),
             text_of(page, "#service-figures"));
  shot(page, "service-swapped");

  // The other views, each with a screenshot.
  go(page, "#/overview", "overview");
  BOOST_TEST(page.wait_for(chart_points("events_per_s") + " >= 2", 15s));
  BOOST_TEST(page.wait_for(chart_points("calls_per_s") + " >= 2", 15s));
  BOOST_TEST(page.wait_for("document.getElementById('services-by-status').textContent.includes('running')", 10s),
             text_of(page, "#services-by-status"));
  shot(page, "overview");
  for (const char* view : {"tokens", "secrets", "registry", "system"}) {
    go(page, std::string("#/") + view, view);
    shot(page, view);
  }

  // Tokens: grant one for tenant acme from the form (its secret shown once),
  // then revoke it, confirmed; the API agrees at each step.
  go(page, "#/tokens", "tokens");
  page.evaluate("document.querySelector('#grant-form input[name=permission][value=status]').click()");
  type_into(page, "#grant-form input[name=tenant_id]", "acme");
  page.evaluate("document.getElementById('grant-form').requestSubmit()");
  BOOST_TEST_REQUIRE(page.wait_for("!document.getElementById('new-token').hidden", 10s), text_of(page, "#toasts"));
  const auto shown_token = text_of(page, "#new-token");
  const auto granted = shown_token.substr(0, shown_token.find('\n'));
  BOOST_TEST(solo::test::send(solo, "GET", "/auth/whoami", "", granted).status == 200, shown_token);
  const auto granted_id = std::string(
      json::parse(solo::test::send(solo, "GET", "/auth/whoami", "", granted).body).at("token_id").as_string());
  const auto revoke_button = "#tokens-table button[data-revoke=\"" + granted_id + "\"]";
  click(page, revoke_button);
  confirm(page);
  BOOST_TEST(page.wait_for("!document.querySelector(" + js_string(revoke_button) + ")", 10s));
  BOOST_TEST(solo::test::send(solo, "GET", "/auth/whoami", "", granted).status == 401);
  go(page, "#/system", "system");
  BOOST_TEST(text_of(page, "#recovery-report").find("previous_shutdown") != std::string::npos);
  click(page, "#run-verifier");
  confirm(page);
  BOOST_TEST(page.wait_for("!document.getElementById('verify-result').hidden", 30s), text_of(page, "#toasts"));

  // The admin switches tenant in the header: the table shows that tenant's
  // services (and live figures), then the default's again.
  json::object theirs{{"service_id", "theirs"}, {"code", "function handle_call(m, s) return m, s end"}};
  BOOST_TEST_REQUIRE(solo.client(30s, "other").request("POST", "/services", json::serialize(theirs)).status == 201);
  go(page, "#/services", "services");
  BOOST_TEST(page.evaluate("!!document.querySelector('#services-table tr[data-service-id=\"theirs\"]')") ==
             json::value(false));
  type_into(page, "#tenant", "other");
  page.evaluate("document.getElementById('tenant-form').requestSubmit()");
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelector('#services-table tr[data-service-id=\"theirs\"]"
                                   " td[data-col=\"status\"]').textContent === 'running'",
                                   15s),
                     text_of(page, "#services-table") << " toast: " << text_of(page, "#toasts"));
  BOOST_TEST(page.evaluate("!!document.querySelector('#services-table tr[data-service-id=\"counter\"]')") ==
             json::value(false));
  shot(page, "services-other-tenant");
  type_into(page, "#tenant", "default");
  page.evaluate("document.getElementById('tenant-form').requestSubmit()");
  BOOST_TEST(page.wait_for("document.querySelector('#services-table tr[data-service-id=\"counter\"]') && "
                           "!document.querySelector('#services-table tr[data-service-id=\"theirs\"]')",
                           15s),
             text_of(page, "#services-table"));

  // Kill, confirmed: back to the list, the service gone.
  go(page, "#/services/counter", "service");
  click(page, "#kill-service");
  confirm(page);
  expect_view(page, "services");
  BOOST_TEST(page.wait_for("!document.querySelector('#services-table tr[data-service-id=\"counter\"]')", 15s),
             text_of(page, "#services-table"));
  BOOST_TEST(solo.client().request("GET", "/services/counter").status == 404);

  // A phone's width: the page fits it (the nav folds behind its button).
  page.set_viewport(390, 844, true);
  go(page, "#/overview", "overview");
  BOOST_TEST(page.evaluate("document.documentElement.scrollWidth <= 390") == json::value(true),
             "scrollWidth " << json::serialize(page.evaluate("document.documentElement.scrollWidth")));
  shot(page, "overview-phone");
  go(page, "#/services", "services");
  BOOST_TEST(page.evaluate("document.documentElement.scrollWidth <= 390") == json::value(true));
  shot(page, "services-phone");

  expect_no_console_errors(page, {"/services/counter/call"});  // the "explode" call's 500
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_tenant_token_sees_its_tenant_only_and_hostile_text_stays_text) {
  BOOST_TEST_REQUIRE(std::filesystem::exists(solo::test::kChromiumPath),
                     solo::test::kChromiumPath << " is missing: `make deps` installs Debian's chromium");
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data");
  // Another tenant's service the page must never show.
  json::object theirs{{"service_id", "theirs"}, {"code", "function handle_call(m, s) return m, s end"}};
  auto other = solo::test::grant_token(solo, "other", {"deploy", "status"});
  BOOST_TEST_REQUIRE(solo::test::send(solo, "POST", "/services", json::serialize(theirs), other).status == 201);
  const auto acme = solo::test::grant_token(solo, "acme", {"deploy", "call", "status", "events", "logs"});

  Browser browser(dir.path(), solo.url() + "/ui");
  auto& page = *browser.page;
  sign_in(page, acme);
  expect_view(page, "overview");
  BOOST_TEST(text_of(page, "#who") == "tenant acme");
  BOOST_TEST(page.evaluate("document.getElementById('tenant-form').hidden") == json::value(true));  // admin only
  // Only the views this token may use are offered, and a typed-in hash for
  // another one falls back to the overview.
  auto shown = page.evaluate("[...document.querySelectorAll('nav a[data-nav]')].filter((a) => !a.hidden)"
                             ".map((a) => a.dataset.nav).join(',')");
  BOOST_TEST(shown == json::value("overview,services"), json::serialize(shown));
  for (const char* refused : {"#/system", "#/tokens", "#/secrets", "#/registry"}) {
    go(page, "#/services", "services");
    go(page, refused, "overview");
  }

  // Deploy the hostile service from the page, then call it.
  go(page, "#/services", "services");
  type_into(page, "#deploy-form input[name=service_id]", "hostile");
  type_into(page, "#deploy-form textarea[name=code]", kHostile);
  page.evaluate("document.getElementById('deploy-form').requestSubmit()");
  BOOST_TEST_REQUIRE(page.wait_for("document.querySelector('#services-table tr[data-service-id=\"hostile\"]')", 15s),
                     text_of(page, "#toasts"));
  BOOST_TEST(page.evaluate("!!document.querySelector('#services-table tr[data-service-id=\"theirs\"]')") ==
             json::value(false));
  // The admin's view of tenant "other" still has it: the page hid nothing by mistake.
  BOOST_TEST(solo::test::send(solo, "GET", "/services/theirs", "", other).status == 200);
  shot(page, "services-tenant");

  go(page, "#/services/hostile", "service");
  // Neither kill (no `kill`) nor swap (no `swap`) is offered to this token.
  BOOST_TEST(page.evaluate("!document.getElementById('kill-service') && !document.getElementById('swap-form')") ==
             json::value(true));
  page.evaluate("document.getElementById('call-form').requestSubmit()");
  BOOST_TEST_REQUIRE(page.wait_for("document.getElementById('call-reply').dataset.state === 'ok'", 10s),
                     text_of(page, "#call-reply"));
  BOOST_TEST(text_of(page, "#call-reply").find("<script>window.__pwned = 2</script>") != std::string::npos);
  BOOST_TEST_REQUIRE(page.wait_for("document.getElementById('service-logs').textContent.includes('<img src=x')", 15s),
                     text_of(page, "#service-logs"));
  BOOST_TEST(page.evaluate("document.querySelectorAll('#service-logs img, #service-logs b, #call-reply script').length") ==
             json::value(0));
  BOOST_TEST(page.evaluate("window.__pwned === undefined") == json::value(true));
  shot(page, "service-tenant");

  // Another tenant's service by its URL: "no such service", not its figures.
  go(page, "#/services/theirs", "service");
  BOOST_TEST(page.wait_for("document.querySelector('.view-service .note') && "
                           "!document.querySelector('.view-service .note').hidden",
                           10s));
  BOOST_TEST(text_of(page, "#service-figures [data-figure=\"calls\"] .value") == "—");

  // A forged token at sign-in is refused in the page, with no console error.
  page.evaluate("document.getElementById('sign-out').click()");
  sign_in(page, "solo_forged_token");
  BOOST_TEST(page.wait_for("document.getElementById('toast') && "
                           "document.getElementById('toast').textContent.startsWith('sign-in')",
                           10s),
             text_of(page, "#toasts"));
  BOOST_TEST(page.evaluate("document.body.dataset.view") == json::value("sign-in"));

  expect_no_console_errors(page, {"/services/theirs", "/auth/whoami"});
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
