# Writes OUTPUT, a C++ file defining `std::string_view NAMESPACE::FUNCTION()`
# that returns the text of INPUT (as a raw string literal).
# Usage: cmake -DINPUT=f -DOUTPUT=f.cpp -DNAMESPACE=ns -DFUNCTION=fn -P embed_text.cmake
file(READ "${INPUT}" content)
string(FIND "${content}" ")solo_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )solo_embed\"")
endif()
set(text "// Generated from ${INPUT} by cmake/embed_text.cmake; do not edit.\n#include <string_view>\n\nnamespace ${NAMESPACE} {\n\nstd::string_view ${FUNCTION}() {\n  static constexpr std::string_view kText = R\"solo_embed(${content})solo_embed\";\n  return kText;\n}\n\n}  // namespace ${NAMESPACE}\n")
file(WRITE "${OUTPUT}" "${text}")
