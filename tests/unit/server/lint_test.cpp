// scripts/lint on a small made-up tree: each project rule is reported at file:line, and code
// that only looks like a violation (comments, prose in strings, storage/, suppressions) is not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kRepo = fs::path(PARLEY_SOURCE_DIR);

class LintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() /
        ("parley_lint_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }

  // Runs the linter (without clang-format) and returns its stdout; sets exit_code_.
  std::string Lint() {
    const std::string cmd = "/usr/bin/python3 '" + (kRepo / "scripts/lint").string() +
                            "' --no-format --root '" + root_.string() + "' 2>/dev/null";
    std::string out;
    FILE* pipe = popen(cmd.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (pipe == nullptr) return out;
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    const int status = pclose(pipe);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
  }

  fs::path root_;
  int exit_code_ = -1;
};

TEST_F(LintTest, CleanTreePasses) {
  Write("src/router/router.hpp",
        "// Routes stanzas.\n\n#pragma once\n// std::mutex is banned here\n");
  Write("src/storage/roster.cpp", "const char* kQ = \"SELECT jid FROM roster\";\n");
  Write("src/c2s/c2s.cpp",
        "void F() {\n  spdlog::warn(\"password rejected for {}\", user);\n"
        "  auto s = \"please select a resource from the list\";\n}\n");
  EXPECT_EQ(Lint(), "");
  EXPECT_EQ(exit_code_, 0);
}

TEST_F(LintTest, ReportsEachRuleAtFileAndLine) {
  Write("src/c2s/c2s.cpp",
        "// SELECT in a comment is fine\n"
        "const char* kQ = \"SELECT jid \"\n"
        "                 \"FROM roster\";\n"
        "void F() { sqlite3_exec(db, q, nullptr, nullptr, nullptr); }\n"
        "void G() { spdlog::debug(\"auth {}\", salted_password); }\n"
        "void H() { SPDLOG_INFO(\"{}\", session.token_); }  // NOLINT(parley-sql)\n");
  Write("src/router/router.cpp", "void F() { std::lock_guard<std::mutex> lock(mu_); }\n");
  Write("src/c2s/c2s.hpp", "// No pragma.\n#include <string>\n");

  const std::string out = Lint();
  EXPECT_EQ(exit_code_, 1);
  EXPECT_THAT(out, HasSubstr("src/c2s/c2s.cpp:2: [sql]"));
  EXPECT_THAT(out, HasSubstr("src/c2s/c2s.cpp:4: [sql] sqlite3_exec"));
  EXPECT_THAT(out,
              HasSubstr("src/c2s/c2s.cpp:5: [log-secret] logging call mentions salted_password"));
  EXPECT_THAT(out, HasSubstr("src/c2s/c2s.cpp:6: [log-secret] logging call mentions token_"));
  EXPECT_THAT(out, HasSubstr("src/router/router.cpp:1: [mutex] std::lock_guard"));
  EXPECT_THAT(out, HasSubstr("src/router/router.cpp:1: [mutex] std::mutex"));
  EXPECT_THAT(out, HasSubstr("src/c2s/c2s.hpp:2: [pragma-once]"));
  EXPECT_THAT(out, Not(HasSubstr("c2s.cpp:1:")));
}

TEST_F(LintTest, SuppressionNamesOneCheck) {
  Write("src/c2s/c2s.cpp",
        "void F() { spdlog::info(\"{}\", proof.size()); }  // NOLINT(parley-log-secret)\n");
  EXPECT_EQ(Lint(), "");
  EXPECT_EQ(exit_code_, 0);
}

}  // namespace
