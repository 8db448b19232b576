-- migrate:up
-- Who a session's member is, in one statement outside any transaction (it runs before every
-- request a person makes; a scoped transaction around it cost three more round trips). It scopes
-- itself to the session's organization, and the SET clause restores the scope on return.
CREATE FUNCTION fairview_session_member(p_user uuid, p_org uuid)
RETURNS TABLE (password_changed_at timestamptz, role text, status text)
LANGUAGE plpgsql SET fairview.organization_id = '' AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('fairview.organization_id', p_org::text, true);
  RETURN QUERY
    SELECT u.password_changed_at, m.role, o.status FROM users u
    JOIN memberships m ON m.user_id = u.id AND m.organization_id = p_org
    JOIN organizations o ON o.id = m.organization_id
    WHERE u.id = p_user;
END $$;

-- migrate:down
DROP FUNCTION fairview_session_member(uuid, uuid);
