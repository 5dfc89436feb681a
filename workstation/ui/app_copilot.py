"""The app's copilot glue: it starts the copilot, sends it the trader's prompts, turns its events into
notifications and the status bar's state, and journals the human's decisions on its proposals. The
copilot only stages: whatever it proposes waits in the approval queue. A mixin of WorkstationApp."""

from __future__ import annotations

import logging

from textual import work

from .messages import CopilotEvent
from .widgets.copilot_log import CopilotLog

log = logging.getLogger(__name__)


class CopilotGlue:
    # -- the copilot ----------------------------------------------------------------------------
    def copilot_proposal_of(self, cid: str):
        if self.copilot is None:
            return None
        from .screens.proposal import proposal_for
        return proposal_for(self.copilot, cid)

    def record_copilot_decision(self, cid: str | None, decision: str, reason: str = "", edits: dict | None = None,
                                proposal_id: str | None = None) -> None:
        """After a human decided on a copilot proposal: journal it with the copilot (never fatal)."""
        if self.copilot is None:
            return
        proposal = self.copilot.proposal(proposal_id) if proposal_id else self.copilot_proposal_of(cid or "")
        if proposal is None or proposal.decision is not None:
            return
        try:
            self.copilot.record_decision(proposal.id, decision, reason,
                                         {k: str(v) for k, v in (edits or {}).items()} or None)
        except Exception:  # noqa: BLE001
            log.exception("recording the decision on %s failed", proposal.id)

    @work(group="copilot-start", exclusive=True, exit_on_error=False)
    async def start_copilot(self) -> None:
        try:
            await self.copilot.start()
        except Exception as exc:  # noqa: BLE001
            self.notify(f"The copilot did not start: {exc}", title="Copilot", severity="error")

    def ask_copilot(self, prompt: str) -> None:
        if self.copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        if not self.copilot.enabled:
            self.notify("The copilot is off: press C to turn it on", title="Copilot", severity="warning")
            return
        self.copilot.ask(prompt)  # returns at once; the answer comes back as events
        self.copilot_log.append(f"you: {prompt}")

    def toggle_copilot(self) -> None:
        if self.copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        on = self.copilot.toggle()
        self.dirty.status = True
        self.notify(f"Copilot {'on' if on else 'off'}", title="Copilot", timeout=3)

    def toggle_auto_propose(self) -> None:
        if self.copilot is None:
            self.notify("No copilot in this session", severity="warning")
            return
        if self.copilot.auto_propose_s > 0:
            self.copilot.set_auto_propose(0)
            self.notify("Auto-propose off", title="Copilot", timeout=3)
        else:
            seconds = float(self.config.copilot.auto_propose_s) or 30.0
            self.copilot.set_auto_propose(seconds)
            note = "" if self.copilot.enabled else " (the copilot is off: C turns it on)"
            self.notify(f"Auto-propose every {seconds:g}s: proposals wait for your approval{note}",
                        title="Copilot", timeout=4)
        self.dirty.status = True

    def copilot_status(self) -> str | None:
        if self.copilot is None:
            return None
        status = self.copilot.status
        if self.copilot.enabled and self.copilot.auto_propose_s > 0 and status == "idle":
            return f"auto {self.copilot.auto_propose_s:g}s"
        return status

    def on_copilot_event(self, message: CopilotEvent) -> None:
        from ..copilot.service import CopilotError, CopilotReply, ProposalMade, StatusChanged

        event = message.event
        if self.is_main_screen():
            for panel in self.main_screen.query(CopilotLog):  # the copilot log panel (main screen, Copilot tab)
                panel.add(event)
        if isinstance(event, StatusChanged):
            self.dirty.status = True
            if event.detail and event.status == "idle" and "paused" in event.detail:
                self.notify(event.detail, title="Copilot", severity="warning", timeout=5)
        elif isinstance(event, ProposalMade):
            self.dirty.orders = True
        elif isinstance(event, CopilotReply):
            self.copilot_log.append(f"copilot: {event.text}")
            if event.prompt is None and not event.proposals:
                return  # an auto-propose round that found nothing: no need to say so every time
            self.notify(event.text[:400], title="Copilot" + (" · proposes" if event.proposals else ""),
                        severity="warning" if event.refused else "information",
                        timeout=8 if event.proposals else 6, markup=False)
            if event.proposals and self.is_main_screen() and self.screen is self.main_screen:
                self.main_screen.show_tab("approvals", focus=False)
        elif isinstance(event, CopilotError):
            self.copilot_log.append(f"error ({event.scenario}): {event.message}")
            self.notify(event.message[:400], title=f"Copilot error: {event.scenario}", severity="error", timeout=8,
                        markup=False)
        self.copilot_log = self.copilot_log[-50:]

    def confirm_suggestion(self, proposal_id: str) -> None:
        """A copilot cancel / modify suggestion the human confirmed: the UI calls the Desk's verb."""
        proposal = self.copilot.proposal(proposal_id)
        cid = proposal.target_order_id

        async def call():
            if proposal.kind == "schedule":  # one approval for every slice within its bounds (desk/schedule.py)
                self.desk.schedules.approve(proposal.schedule_id, actor="human")
                result = None
            elif proposal.kind == "cancel":
                result = await self.desk.cancel(cid)
            else:
                result = await self.desk.modify(cid, amount=proposal.new_amount, price=proposal.new_price)
            self.record_copilot_decision(None, "approved", proposal_id=proposal_id)
            return result

        self.run_worker(self._verb(proposal.kind, cid, call), group="verbs", exit_on_error=False,
                        description=f"{proposal.kind} {cid} (copilot)")

    def reject_suggestion(self, proposal_id: str, reason: str) -> None:
        self.record_copilot_decision(None, "rejected", reason, proposal_id=proposal_id)
        self.dirty.orders = True
