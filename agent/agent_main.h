// corral-agent's whole program: flags, identity, the sampling loop, one
// uplink per server, and a graceful leave on SIGTERM. agent/main.cc runs
// it; so does `corral` when invoked as corral-agent (one binary serves both
// in the agent image, where size matters).
#ifndef CORRAL_AGENT_AGENT_MAIN_H_
#define CORRAL_AGENT_AGENT_MAIN_H_

namespace corral::agent {

int AgentMain(int argc, char** argv);

}  // namespace corral::agent

#endif  // CORRAL_AGENT_AGENT_MAIN_H_
