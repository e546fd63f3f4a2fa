// The one table to watch: every performance target of Solo, each a figure of
// one scenario's report beside its baseline from the same run.
//
// The rows are defined here, once, from the JSON keys the scenarios publish
// (bench/scenario.hpp, publish()); `solo-bench all` prints them after the
// scenarios' own tables and puts them in its --json document, so that a
// change's effect can be compared run to run. A row whose keys are missing
// from the report says so and counts as missed: a target is never met by
// default.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace solo::bench {

struct TargetRow {
  std::string scenario;
  std::string figure;    // what is measured, with its unit
  double solo = 0;       // Solo's figure
  double baseline = 0;   // the baseline's figure, same unit, same run
  double ratio = 0;      // solo / baseline
  std::string target;    // e.g. "ratio >= 0.5", "<= 1.5 x bare + 0.5 s"
  bool met = false;
  std::string missing;   // the report keys that were absent ("" when complete)
};

// The target rows of one scenario's report ({} for a scenario with no target).
std::vector<TargetRow> targets_of(const std::string& scenario, const boost::json::object& report);

boost::json::object to_json(const TargetRow& row);

}  // namespace solo::bench
