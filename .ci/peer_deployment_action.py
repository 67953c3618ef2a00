#!/usr/bin/env python3
"""A peer-style check, as catalog converters do it after extracting
package.xml with cabextract: stream the XML with ElementTree's iterparse and
print every Update whose DeploymentAction is outside the set ConfigMgr
2007's legacy sync accepted (absent, Install, Bundle, Evaluate). Exit 1 if
there is one, like `wsuscat check`. Used by .ci/bench.py.

    python3 .ci/peer_deployment_action.py package.xml
"""

import sys
import xml.etree.ElementTree as ET

ALLOWED = {"Install", "Bundle", "Evaluate"}

found = 0
for _, elem in ET.iterparse(sys.argv[1], events=("end",)):
    # Local names: the OfflineSync namespace may or may not be there.
    tag = elem.tag.rsplit("}", 1)[-1]
    if tag == "Update":
        action = elem.get("DeploymentAction")
        if action is not None and action not in ALLOWED:
            print(f"{elem.get('RevisionId')}: DeploymentAction={action!r}")
            found += 1
        elem.clear()
    elif tag in ("FileLocation",):
        elem.clear()
sys.exit(1 if found else 0)
