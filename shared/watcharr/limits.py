"""Every bound the system enforces, named once (invariant 4: bounded)."""

MAX_BODY_BYTES = 512 * 1024
MAX_URLS_PER_BATCH = 500
MAX_URL_LENGTH = 2048
MAX_TAG_LENGTH = 64
MAX_NOTES_LENGTH = 1000
MAX_TAGS_PER_EPISODE = 100
MAX_SEARCH_LENGTH = 200
MAX_WAIT_SECONDS = 25
MAX_USERNAME_LENGTH = 64

# Messages stay well under SQS's 256 KiB limit; JobCreated spills its items into JobItemsAdded.
MAX_MESSAGE_BYTES = 200 * 1024

SOCKET_TIMEOUT_SECONDS = 15
FEED_TIMEOUT_SECONDS = 20
FEED_MAX_BYTES = 15 * 1024 * 1024
FEED_MAX_REDIRECTS = 5
PLAYLIST_LIMIT = 500

# Items still `queued` after this long are queued again by the reconciler.
STALE_ITEM_SECONDS = 15 * 60
MAX_ITEM_REQUEUES = 3

# No request body of this API nests deeper than 3; 32 leaves room and keeps every parser far from
# its recursion limit.
MAX_JSON_DEPTH = 32
# What a page or a feed sends is capped when stored (and when shown): titles and names, descriptions,
# and the failure reasons shown to the user.
MAX_TITLE_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 10_000
MAX_REASON_LENGTH = 1000
# The `type` a refused results message names, as kept beside it in dead_letters.
MAX_MESSAGE_TYPE_LENGTH = 64
# Podcast episodes travel 50 to a FeedEpisodesExtracted message: their descriptions are kept shorter.
MAX_EPISODE_NOTES_LENGTH = 5000
# A YouTube channel's feed lists its 15 newest uploads: following one adds at most that many at once.
MAX_CHANNEL_BACKFILL = 15
# A synchronous Lambda invocation carries at most 6 MB each way (API Gateway's own 10 MB is never
# reached). A zip arrives base64-encoded (4/3 its size) inside the event, so 4 MiB is what fits; a
# bigger Takeout goes through `watcharr import takeout`.
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_TAKEOUT_UPLOAD_BYTES = 4 * 1024 * 1024
# Videos one Takeout upload may add: each is an extraction request sent before the API answers, and
# the API must answer within its 29 s (5,000 took 23 s against moto here); more go through the CLI.
MAX_TAKEOUT_API_VIDEOS = 3_000
# An answer, as the Lambda runtime serialises it (the body JSON-escaped inside the envelope), stays
# under the payload limit with room for the headers; a bigger export is refused, not cut.
MAX_ANSWER_BYTES = LAMBDA_PAYLOAD_BYTES - 64 * 1024
