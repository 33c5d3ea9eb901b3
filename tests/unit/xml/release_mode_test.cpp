// Every StreamParser test once more, with ReleaseIfIdle() after every Feed() (as C2sSession does):
// the expat parser is freed between stanzas and rebuilt when bytes arrive, and no test may notice.
// The two test files are compiled a second time here with their suites renamed "Released..." and
// StreamParser replaced by testing_util::ReleasingStreamParser; their own includes come first, so
// that the renames reach only the tests.
#include <gtest/gtest.h>

#include <iostream>
#include <stdexcept>

#include "xml/stream_parser.hpp"
#include "xml_test_util.hpp"

namespace parley::xml {
using testing_util::ReleasingStreamParser;
}  // namespace parley::xml

#define StreamParser ReleasingStreamParser
#define StreamParserTest ReleasedStreamParserTest
#define RestrictedXmlTest ReleasedRestrictedXmlTest
#define StreamParserSecurityTest ReleasedStreamParserSecurityTest
#define StreamErrorTest ReleasedStreamErrorTest
#define StreamParserEncodingTest ReleasedStreamParserEncodingTest
#define StreamParserLimitsTest ReleasedStreamParserLimitsTest
#define StreamParserFloodTest ReleasedStreamParserFloodTest
#define StreamParserMemoryTest ReleasedStreamParserMemoryTest

#include "stream_parser_limits_test.cpp"  // NOLINT(build/include)
#include "stream_parser_test.cpp"         // NOLINT(build/include)
