// Settings Gunicorn reports about itself -- through Corral's hook or the
// control socket -- replace the reconstruction's values: they are exact.
// Where the reconstruction had found another value, a warning names both,
// so a wrong reconstruction (or a config edited after start) is visible.
#ifndef CORRAL_AGENT_EXACT_SETTINGS_H_
#define CORRAL_AGENT_EXACT_SETTINGS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "corral/v1/snapshot.pb.h"

namespace corral::agent {

// Sets `name` to `value` with `source` ("hook", "control_socket").
// `disagree_code` is the warning raised when the reconstruction found a
// different known value (HOOK_DISAGREES, CONTROL_SOCKET_DISAGREES); `via`
// says how Gunicorn told ("through the hook"). Returns the setting.
corral::v1::Setting& AdoptExactSetting(corral::v1::GunicornInstance& instance, const std::string& name,
                                       const std::string& value, absl::string_view source,
                                       absl::string_view disagree_code, absl::string_view via);

// Appends `note` to the setting's note.
void AppendSettingNote(corral::v1::Setting& setting, absl::string_view note);

// Drops SETTINGS_UNKNOWABLE once no setting is unknown any more.
void DropSettingsUnknowableIfAllKnown(corral::v1::GunicornInstance& instance);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_EXACT_SETTINGS_H_
