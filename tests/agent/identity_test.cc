#include "agent/identity.h"

#include "gtest/gtest.h"

namespace corral::agent {
namespace {

TEST(ContainerId, FromCgroupPaths) {
  const std::string id(64, 'a');
  EXPECT_EQ(ContainerIdFromCgroup("0::/system.slice/docker-" + id + ".scope\n"), id);
  EXPECT_EQ(ContainerIdFromCgroup("12:pids:/docker/" + id + "\n"), id);
  EXPECT_EQ(ContainerIdFromCgroup("0::/kubepods/burstable/pod1/cri-containerd-" + id + ".scope\n"), id);
  EXPECT_FALSE(ContainerIdFromCgroup("0::/\n").has_value());
  EXPECT_FALSE(ContainerIdFromCgroup("4:memory:/process_api/e926df41d94504a6bd0b8f83c15cbe36\n").has_value());
}

TEST(ContainerId, FromMountInfo) {
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_EQ(ContainerIdFromMountInfo("612 600 254:1 /var/lib/docker/containers/" + id +
                                     "/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n"),
            id);
  EXPECT_FALSE(ContainerIdFromMountInfo("1 0 0:1 / / rw - overlay overlay rw\n").has_value());
}

}  // namespace
}  // namespace corral::agent
