#include "agent/config_delta.h"

#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace corral::agent {

uint64_t ConfigFingerprint(const corral::v1::GunicornInstance& instance) {
  // Map iteration order is unspecified: combine entries commutatively.
  uint64_t h = 0;
  for (const auto& [name, s] : instance.config()) {
    h += absl::HashOf(name, s.value(), s.source(), s.file(), s.line(), s.expression(), s.note(), s.default_value());
  }
  std::string inputs;
  google::protobuf::io::StringOutputStream stream(&inputs);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    instance.inputs().SerializeToCodedStream(&coded);
  }
  std::vector<std::string> argv(instance.master().argv().begin(), instance.master().argv().end());
  return absl::HashOf(h, inputs, instance.app_uri(), instance.launcher(), instance.title_name(), argv,
                      instance.master().cwd(), instance.gunicorn_version(), instance.gunicorn_version_source(),
                      instance.gunicorn_version_note(), instance.settings_table());
}

void ConfigDelta::Apply(corral::v1::Snapshot& snapshot) {
  std::map<int, uint64_t> next;
  for (corral::v1::GunicornInstance& inst : *snapshot.mutable_instances()) {
    int pid = inst.master().pid();
    uint64_t fingerprint = ConfigFingerprint(inst);
    next[pid] = fingerprint;
    auto it = sent_.find(pid);
    if (it == sent_.end() || it->second != fingerprint) continue;
    inst.clear_config();
    inst.clear_inputs();
    inst.clear_app_uri();
    inst.clear_launcher();
    inst.clear_title_name();
    inst.clear_gunicorn_version();
    inst.clear_gunicorn_version_source();
    inst.clear_gunicorn_version_note();
    inst.clear_settings_table();
    inst.mutable_master()->clear_argv();
    inst.mutable_master()->clear_cwd();
    inst.set_config_omitted(true);
  }
  sent_ = std::move(next);
}

}  // namespace corral::agent
