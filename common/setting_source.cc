#include "common/setting_source.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corral {

bool IsKnown(const corral::v1::Setting& setting) { return setting.source() != kSourceUnknown; }

bool IsExact(const corral::v1::Setting& setting) {
  return setting.source() == kSourceHook || setting.source() == kSourceControlSocket;
}

std::string SettingSourceText(const corral::v1::Setting& s, SourceDetail detail) {
  const std::string& source = s.source();
  if (source == kSourceConfigFile && !s.file().empty()) {
    return s.line() > 0 ? absl::StrCat(source, " ", s.file(), ":", s.line()) : absl::StrCat(source, " ", s.file());
  }
  if (detail == SourceDetail::kWithOrigin) {
    if ((source == kSourceCmdline || source == kSourceCmdArgs) && absl::StartsWith(s.note(), "via ")) {
      return absl::StrCat(source, " ", s.note().substr(4));
    }
    if (source == kSourceEnv && !s.note().empty()) return absl::StrCat(source, " ", s.note());
  }
  return source;
}

std::string SettingValueText(const std::string& value) { return value.empty() ? "unset" : value; }

}  // namespace corral
