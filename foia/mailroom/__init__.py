"""Agency email import (matching, unmatched queue) and evidence export bundles."""
