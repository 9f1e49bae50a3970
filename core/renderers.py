"""DRF's browsable API in the portal's style: a page of our own (the answer, and a form to
send a request), under the portal's CSP as it is, with no inline style or script (DRF's own
page needed inline styles, and failed axe: no language, duplicate main landmarks, an unnamed
button, low contrast)."""

from django.forms import Textarea
from rest_framework.renderers import BrowsableAPIRenderer


class PortalBrowsableAPIRenderer(BrowsableAPIRenderer):
    template = "rest_framework/portal_api.html"

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        # The example body DRF prepares for its raw-data form (its text area), for ours.
        form = context.get("raw_data_post_form") or context.get("raw_data_put_or_patch_form")
        context["raw_body"] = ""
        if form is not None:
            for name, field in form.fields.items():
                if isinstance(field.widget, Textarea):
                    context["raw_body"] = form[name].value() or ""
        context["can_send"] = form is not None and context.get("display_edit_forms")
        return context
