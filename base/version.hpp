// The version of this build of Solo ("0.16.0"): the top-level CMakeLists.txt's
// project(VERSION), written into base/version.cpp.in when CMake configures
// (GET /health shows it). A generated source rather than a generated header,
// so that no include path of the other targets changes with it.
#pragma once

#include <string_view>

namespace solo {

std::string_view solo_version();

}  // namespace solo
