#include "common/message_utf8.h"

#include <string>
#include <vector>

#include "common/utf8.h"
#include "google/protobuf/descriptor.h"

namespace corral {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Whether any string field below `message` is not UTF-8: a read-only walk,
// so that valid snapshots (nearly all) are never touched, and maps are not
// turned into their repeated form.
bool HasInvalid(const Message& message) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          std::string scratch;
          if (!IsValidUtf8(reflection->GetRepeatedStringReference(message, field, i, &scratch))) return true;
        }
      } else {
        std::string scratch;
        if (!IsValidUtf8(reflection->GetStringReference(message, field, &scratch))) return true;
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          if (HasInvalid(reflection->GetRepeatedMessage(message, field, i))) return true;
        }
      } else if (HasInvalid(reflection->GetMessage(message, field))) {
        return true;
      }
    }
  }
  return false;
}

int Replace(Message* message) {
  const Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  int changed = 0;
  for (const FieldDescriptor* field : fields) {
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          std::string scratch;
          const std::string& text = reflection->GetRepeatedStringReference(*message, field, i, &scratch);
          if (IsValidUtf8(text)) continue;
          reflection->SetRepeatedString(message, field, i, ToValidUtf8(text));
          ++changed;
        }
      } else {
        std::string scratch;
        const std::string& text = reflection->GetStringReference(*message, field, &scratch);
        if (IsValidUtf8(text)) continue;
        reflection->SetString(message, field, ToValidUtf8(text));
        ++changed;
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          if (!HasInvalid(reflection->GetRepeatedMessage(*message, field, i))) continue;
          changed += Replace(reflection->MutableRepeatedMessage(message, field, i));
        }
      } else if (HasInvalid(reflection->GetMessage(*message, field))) {
        changed += Replace(reflection->MutableMessage(message, field));
      }
    }
  }
  return changed;
}

}  // namespace

int MakeStringsUtf8(google::protobuf::Message* message) { return HasInvalid(*message) ? Replace(message) : 0; }

}  // namespace corral
