"""Mailchimp connector."""
