"""The copilot: proposes orders, never sends them. See service.Copilot for the app-facing API."""

from .calllog import TurnLogged
from .proposals import Proposal
from .service import Copilot, CopilotError, CopilotReply, ProposalMade, StatusChanged
from .tools import ACT_TOOLS, READ_TOOLS, ToolSession, openai_tools
from .view import CopilotView

__all__ = ["Copilot", "CopilotError", "CopilotReply", "CopilotView", "ProposalMade", "Proposal", "StatusChanged",
           "ToolSession", "TurnLogged", "ACT_TOOLS", "READ_TOOLS", "openai_tools"]
