#include "agent/exact_settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/setting_source.h"
#include "common/snapshot_facts.h"
#include "gunicorn/config_loader.h"

namespace corral::agent {
namespace {

constexpr size_t kMaxShownValue = 200;

std::string Shown(const std::string& value) {
  if (value.size() <= kMaxShownValue) return absl::StrCat("'", value, "'");
  return absl::StrCat("'", value.substr(0, kMaxShownValue), "...'");
}

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Whether the reconstruction's `known` value and Gunicorn's `reported` one
// are different settings rather than two spellings of one.
bool Disagree(const std::string& name, const std::string& known, const std::string& reported) {
  if (known == reported) return false;
  // Gunicorn resolves a user or group name to its id; the agent keeps the
  // name it read.
  if ((name == "user" || name == "group") && !AllDigits(known)) return false;
  return true;
}

}  // namespace

void AppendSettingNote(corral::v1::Setting& s, absl::string_view note) {
  if (note.empty()) return;
  s.set_note(s.note().empty() ? std::string(note) : absl::StrCat(s.note(), "; ", note));
}

corral::v1::Setting& AdoptExactSetting(corral::v1::GunicornInstance& instance, const std::string& name,
                                       const std::string& value, absl::string_view source,
                                       absl::string_view disagree_code, absl::string_view via) {
  auto& config = *instance.mutable_config();
  corral::v1::Setting exact;
  exact.set_value(value);
  exact.set_source(std::string(source));
  auto known = config.find(name);
  if (known != config.end() && IsKnown(known->second)) {
    const corral::v1::Setting& before = known->second;
    bool before_exact = IsExact(before);
    if (Disagree(name, before.value(), value)) {
      corral::v1::Warning* w = instance.add_warnings();
      w->set_code(std::string(disagree_code));
      w->set_message(absl::StrCat(name, ": Gunicorn reports ", Shown(value), " ", via, ", but ",
                                  before_exact ? "" : "Corral's reconstruction found ", Shown(before.value()), " (",
                                  SettingSourceText(before), "); ",
                                  before_exact            ? "they differ"
                                  : source == kSourceHook ? "the hook's value is the one in effect"
                                                          : "the control socket's value is the one in effect"));
      AppendSettingNote(exact, absl::StrCat(before_exact ? "" : "Corral's reconstruction found ", Shown(before.value()),
                                            " (", SettingSourceText(before), ")"));
    } else if (before.source() != kSourceDefault && !before_exact) {
      AppendSettingNote(exact, absl::StrCat("set by ", SettingSourceText(before)));
    } else if (before_exact) {
      exact = before;  // two exact sources agree: keep the first
    }
  }
  corral::v1::Setting& slot = config[name];
  slot = std::move(exact);
  return slot;
}

void DropSettingsUnknowableIfAllKnown(corral::v1::GunicornInstance& instance) {
  for (const auto& [name, setting] : instance.config()) {
    if (!IsKnown(setting)) return;
  }
  auto* warnings = instance.mutable_warnings();
  for (int i = warnings->size() - 1; i >= 0; --i) {
    if (warnings->Get(i).code() == "SETTINGS_UNKNOWABLE") warnings->DeleteSubrange(i, 1);
  }
}

}  // namespace corral::agent
