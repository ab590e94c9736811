"""Who am I: the identity behind an access token."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from lakebook.gateway.api.deps import CurrentUser
from lakebook.gateway.core.security import Role

router = APIRouter(prefix="/auth", tags=["auth"])


class Me(BaseModel):
    name: str
    role: Role
    token_expires_at: datetime


@router.get("/me", response_model=Me)
def read_me(user: CurrentUser) -> Me:
    return Me(name=user.subject, role=user.role, token_expires_at=user.expires_at)
