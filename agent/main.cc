// corral-agent: watches the Gunicorns in its view of /proc and reports them.
#include "agent/agent_main.h"

int main(int argc, char** argv) { return corral::agent::AgentMain(argc, argv); }
