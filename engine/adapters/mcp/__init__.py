"""Tools from a Model Context Protocol server started by command over stdio (`McpServer`);
`Tool.from_mcp_tool(session, tool)` (engine.adapters.types.tool) is DSPy's shape for a session
of your own."""

from engine.adapters.mcp._command import McpServerError, split_command
from engine.adapters.mcp._server import (
    CALL_TIMEOUT,
    START_TIMEOUT,
    McpServer,
    McpToolInfo,
    shared_server,
)

__all__ = [
    "CALL_TIMEOUT", "McpServer", "McpServerError", "McpToolInfo", "START_TIMEOUT",
    "shared_server", "split_command",
]  # fmt: skip
