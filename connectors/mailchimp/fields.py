"""The fields of every Mailchimp resource intsync reads, written from the objects the Marketing
API reference documents (mailchimp.com/developer/marketing/api: Lists/Audiences, List Members,
Campaigns, Reports), with what the connector adds (`uid`, `deleted`). The `mailchimp_marketing`
SDK has no typed models to read them from."""

from __future__ import annotations

from connectors.common.fields import ANYTHING, BOOLEAN, INTEGER, NUMBER, TEXT, Shape
from connectors.mailchimp.resources import RESOURCES

READS = tuple(RESOURCES)  # what the connector reads, in its order

LINKS: Shape = [{"rel": TEXT, "href": TEXT, "method": TEXT, "targetSchema": TEXT, "schema": TEXT}]
DELIVERY_STATUS = {
    "enabled": BOOLEAN,
    "can_cancel": BOOLEAN,
    "status": TEXT,
    "emails_sent": INTEGER,
    "emails_canceled": INTEGER,
}
# rates and counts every report-like object shares
OPENS = {
    "opens_total": INTEGER,
    "proxy_excluded_opens": INTEGER,
    "unique_opens": INTEGER,
    "proxy_excluded_unique_opens": INTEGER,
    "open_rate": NUMBER,
    "proxy_excluded_open_rate": NUMBER,
    "last_open": TEXT,
}
CLICKS = {
    "clicks_total": INTEGER,
    "unique_clicks": INTEGER,
    "unique_subscriber_clicks": INTEGER,
    "click_rate": NUMBER,
    "last_click": TEXT,
}
ECOMMERCE = {
    "total_orders": INTEGER,
    "total_spent": NUMBER,
    "total_revenue": NUMBER,
    "currency_code": TEXT,
}
AB_SIDE = {
    "bounces": INTEGER,
    "abuse_reports": INTEGER,
    "unsubs": INTEGER,
    "recipient_clicks": INTEGER,
    "forwards": INTEGER,
    "forwards_opens": INTEGER,
    "opens": INTEGER,
    "last_open": TEXT,
    "unique_opens": INTEGER,
}

LIST: dict[str, Shape] = {
    "id": TEXT,
    "web_id": INTEGER,
    "name": TEXT,
    "contact": {
        "company": TEXT,
        "address1": TEXT,
        "address2": TEXT,
        "city": TEXT,
        "state": TEXT,
        "zip": TEXT,
        "country": TEXT,
        "phone": TEXT,
    },
    "permission_reminder": TEXT,
    "use_archive_bar": BOOLEAN,
    "campaign_defaults": {"from_name": TEXT, "from_email": TEXT, "subject": TEXT, "language": TEXT},
    "notify_on_subscribe": TEXT,
    "notify_on_unsubscribe": TEXT,
    "date_created": TEXT,
    "list_rating": INTEGER,
    "email_type_option": BOOLEAN,
    "subscribe_url_short": TEXT,
    "subscribe_url_long": TEXT,
    "beamer_address": TEXT,
    "visibility": TEXT,
    "double_optin": BOOLEAN,
    "has_welcome": BOOLEAN,
    "marketing_permissions": BOOLEAN,
    "modules": [TEXT],
    "stats": {
        "member_count": INTEGER,
        "total_contacts": INTEGER,
        "unsubscribe_count": INTEGER,
        "cleaned_count": INTEGER,
        "member_count_since_send": INTEGER,
        "unsubscribe_count_since_send": INTEGER,
        "cleaned_count_since_send": INTEGER,
        "campaign_count": INTEGER,
        "campaign_last_sent": TEXT,
        "merge_field_count": INTEGER,
        "avg_sub_rate": NUMBER,
        "avg_unsub_rate": NUMBER,
        "target_sub_rate": NUMBER,
        "open_rate": NUMBER,
        "click_rate": NUMBER,
        "last_sub_date": TEXT,
        "last_unsub_date": TEXT,
    },
    "_links": LINKS,
}

MEMBER: dict[str, Shape] = {
    "id": TEXT,
    "email_address": TEXT,
    "unique_email_id": TEXT,
    "contact_id": TEXT,
    "full_name": TEXT,
    "web_id": INTEGER,
    "email_type": TEXT,
    "status": TEXT,
    "unsubscribe_reason": TEXT,
    "consents_to_one_to_one_messaging": BOOLEAN,
    "sms_phone_number": TEXT,
    "sms_subscription_status": TEXT,
    "sms_subscription_last_updated": TEXT,
    "merge_fields": ANYTHING,  # each audience's own tags: FNAME, LNAME, MMERGE5, ...
    "interests": ANYTHING,  # interest id -> true/false
    "stats": {
        "avg_open_rate": NUMBER,
        "avg_click_rate": NUMBER,
        "ecommerce_data": {
            "total_revenue": NUMBER,
            "number_of_orders": INTEGER,
            "currency_code": TEXT,
        },
    },
    "ip_signup": TEXT,
    "timestamp_signup": TEXT,
    "ip_opt": TEXT,
    "timestamp_opt": TEXT,
    "member_rating": INTEGER,
    "last_changed": TEXT,
    "language": TEXT,
    "vip": BOOLEAN,
    "email_client": TEXT,
    "location": {
        "latitude": NUMBER,
        "longitude": NUMBER,
        "gmtoff": INTEGER,
        "dstoff": INTEGER,
        "country_code": TEXT,
        "timezone": TEXT,
        "region": TEXT,
    },
    "marketing_permissions": [{"marketing_permission_id": TEXT, "text": TEXT, "enabled": BOOLEAN}],
    "last_note": {"note_id": INTEGER, "created_at": TEXT, "created_by": TEXT, "note": TEXT},
    "source": TEXT,
    "tags_count": INTEGER,
    "tags": [{"id": INTEGER, "name": TEXT}],
    "list_id": TEXT,
    "_links": LINKS,
    "deleted": BOOLEAN,  # added by the connector: an archived member read by a webhook
}

CAMPAIGN: dict[str, Shape] = {
    "id": TEXT,
    "web_id": INTEGER,
    "parent_campaign_id": TEXT,
    "type": TEXT,
    "create_time": TEXT,
    "archive_url": TEXT,
    "long_archive_url": TEXT,
    "status": TEXT,
    "emails_sent": INTEGER,
    "send_time": TEXT,
    "content_type": TEXT,
    "needs_block_refresh": BOOLEAN,
    "resendable": BOOLEAN,
    "recipients": {
        "list_id": TEXT,
        "list_is_active": BOOLEAN,
        "list_name": TEXT,
        "segment_text": TEXT,
        "recipient_count": INTEGER,
        "segment_opts": ANYTHING,  # saved segment, match and conditions of many kinds
    },
    "settings": {
        "subject_line": TEXT,
        "preview_text": TEXT,
        "title": TEXT,
        "from_name": TEXT,
        "reply_to": TEXT,
        "use_conversation": BOOLEAN,
        "to_name": TEXT,
        "folder_id": TEXT,
        "authenticate": BOOLEAN,
        "auto_footer": BOOLEAN,
        "inline_css": BOOLEAN,
        "auto_tweet": BOOLEAN,
        "auto_fb_post": [TEXT],
        "fb_comments": BOOLEAN,
        "timewarp": BOOLEAN,
        "template_id": INTEGER,
        "drag_and_drop": BOOLEAN,
    },
    "variate_settings": ANYTHING,
    "tracking": {
        "opens": BOOLEAN,
        "html_clicks": BOOLEAN,
        "text_clicks": BOOLEAN,
        "goal_tracking": BOOLEAN,
        "ecomm360": BOOLEAN,
        "google_analytics": TEXT,
        "clicktale": TEXT,
        "salesforce": {"campaign": BOOLEAN, "notes": BOOLEAN},
        "capsule": {"notes": BOOLEAN},
    },
    "rss_opts": ANYTHING,
    "ab_split_opts": ANYTHING,
    "social_card": {"image_url": TEXT, "description": TEXT, "title": TEXT},
    "report_summary": {
        "opens": INTEGER,
        "unique_opens": INTEGER,
        "open_rate": NUMBER,
        "clicks": INTEGER,
        "subscriber_clicks": INTEGER,
        "click_rate": NUMBER,
        "ecommerce": ECOMMERCE,
    },
    "delivery_status": DELIVERY_STATUS,
    "resend_shortcut_eligibility": ANYTHING,
    "resend_shortcut_usage": ANYTHING,
    "_links": LINKS,
}

REPORT: dict[str, Shape] = {
    "id": TEXT,
    "campaign_title": TEXT,
    "type": TEXT,
    "list_id": TEXT,
    "list_is_active": BOOLEAN,
    "list_name": TEXT,
    "subject_line": TEXT,
    "preview_text": TEXT,
    "emails_sent": INTEGER,
    "abuse_reports": INTEGER,
    "unsubscribed": INTEGER,
    "send_time": TEXT,
    "rss_last_send": TEXT,
    "bounces": {"hard_bounces": INTEGER, "soft_bounces": INTEGER, "syntax_errors": INTEGER},
    "forwards": {"forwards_count": INTEGER, "forwards_opens": INTEGER},
    "opens": OPENS,
    "clicks": CLICKS,
    "facebook_likes": {
        "recipient_likes": INTEGER,
        "unique_likes": INTEGER,
        "facebook_likes": INTEGER,
    },
    "industry_stats": {
        "type": TEXT,
        "open_rate": NUMBER,
        "click_rate": NUMBER,
        "bounce_rate": NUMBER,
        "unopen_rate": NUMBER,
        "unsub_rate": NUMBER,
        "abuse_rate": NUMBER,
    },
    "list_stats": {
        "sub_rate": NUMBER,
        "unsub_rate": NUMBER,
        "open_rate": NUMBER,
        "click_rate": NUMBER,
    },
    "ab_split": {"a": AB_SIDE, "b": AB_SIDE},
    "timewarp": [
        {
            "gmt_offset": INTEGER,
            "opens": INTEGER,
            "last_open": TEXT,
            "unique_opens": INTEGER,
            "clicks": INTEGER,
            "last_click": TEXT,
            "unique_clicks": INTEGER,
            "bounces": INTEGER,
        }
    ],
    "timeseries": [
        {
            "timestamp": TEXT,
            "emails_sent": INTEGER,
            "unique_opens": INTEGER,
            "recipients_clicks": INTEGER,
        }
    ],
    "share_report": {"share_url": TEXT, "share_password": TEXT},
    "ecommerce": ECOMMERCE,
    "delivery_status": DELIVERY_STATUS,
    "_links": LINKS,
}

# each with the connector's key, `uid` (a member's is `<list_id>:<id>`)
FIELDS: dict[str, Shape] = {
    "lists": {**LIST, "uid": TEXT},
    "members": {**MEMBER, "uid": TEXT},
    "campaigns": {**CAMPAIGN, "uid": TEXT},
    "reports": {**REPORT, "uid": TEXT},
}
assert set(FIELDS) == set(RESOURCES)


def resource_fields(resource: str) -> Shape | None:
    """The fields of one resource's records (None for a resource the connector does not read)."""
    return FIELDS.get(resource)
