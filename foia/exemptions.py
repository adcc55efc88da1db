"""Exemptions an agency may cite, per law, as data: `exemptions_for(law_slug) -> [(code, label)]`.

A communication's `exemptions` stores the codes. Codes are what the agency's letter cites
("(b)(6)", "§ 7922.000", "§ 87(2)(b)"); `resolve(law, text)` also accepts the same code typed
without spaces, parentheses or "§" ("b7c", "7922.000"), for the CLI.

The lists are the common exemptions, not every confidentiality statute each law incorporates
(those are cited through the "other statute" entry of each law). Entries marked
"[unverified]" in a comment were written from memory and not checked against the current
code; check them before relying on their wording in a letter.
"""

from __future__ import annotations

import re

# 5 U.S.C. § 552(b). Exemption 7 is listed clause by clause: agencies cite (b)(7)(C), not (b)(7).
_US_FOIA = [
    ("(b)(1)", "(b)(1) Classified national defense or foreign policy information"),
    ("(b)(2)", "(b)(2) Internal personnel rules and practices"),
    ("(b)(3)", "(b)(3) Exempted by another statute"),
    ("(b)(4)", "(b)(4) Trade secrets and confidential commercial or financial information"),
    ("(b)(5)", "(b)(5) Privileged inter- or intra-agency memoranda (deliberative process, attorney work product, attorney-client)"),
    ("(b)(6)", "(b)(6) Personal privacy"),
    ("(b)(7)(A)", "(b)(7)(A) Law-enforcement records: interference with enforcement proceedings"),
    ("(b)(7)(B)", "(b)(7)(B) Law-enforcement records: right to a fair trial"),
    ("(b)(7)(C)", "(b)(7)(C) Law-enforcement records: personal privacy"),
    ("(b)(7)(D)", "(b)(7)(D) Law-enforcement records: confidential sources"),
    ("(b)(7)(E)", "(b)(7)(E) Law-enforcement records: techniques, procedures and guidelines"),
    ("(b)(7)(F)", "(b)(7)(F) Law-enforcement records: life or physical safety"),
    ("(b)(8)", "(b)(8) Financial-institution examination reports"),
    ("(b)(9)", "(b)(9) Geological and geophysical information about wells"),
]

# California Public Records Act, Gov. Code §§ 7920.000 et seq. (recodified from §§ 6250 et seq. on 2023-01-01).
_CA_CPRA = [
    ("§ 7922.000", "§ 7922.000 Public interest in withholding clearly outweighs disclosure (catch-all; former § 6255)"),
    ("§ 7927.705", "§ 7927.705 Exempt under other federal or state law, incl. Evidence Code privileges (former § 6254(k))"),
    ("§ 7927.200", "§ 7927.200 Pending litigation or claims (former § 6254(b))"),
    # [unverified] section number: preliminary drafts (former § 6254(a)) — believed to be § 7927.500.
    ("§ 7927.500", "§ 7927.500 Preliminary drafts, notes and memoranda not retained in the ordinary course (former § 6254(a))"),
    # [unverified] section number: personnel, medical or similar files (former § 6254(c)) — believed to be § 7927.700,
    # not § 7927.500 (which the brief suggested).
    ("§ 7927.700", "§ 7927.700 Personnel, medical or similar files: unwarranted invasion of personal privacy (former § 6254(c))"),
    ("§ 7923.600", "§ 7923.600 Law-enforcement investigatory records and files (former § 6254(f))"),
    # [unverified] section number: victims' and witnesses' addresses in law-enforcement records (former § 6254(f)(2)-(3)).
    ("§ 7923.615", "§ 7923.615 Law-enforcement records: protected information about victims and witnesses [unverified section]"),
    # [unverified] section number: the CPRA's trade-secret provision is spread over several sections.
    ("§ 7927.605", "§ 7927.605 Trade secrets and confidential commercial information [unverified section]"),
    ("Evid. Code § 954", "Evid. Code § 954 Attorney-client privilege (through § 7927.705)"),
    ("Evid. Code § 1040", "Evid. Code § 1040 Official information privilege (through § 7927.705)"),
]

# New York Public Officers Law § 87(2)(a)-(j).
_NY_FOIL = [
    ("§ 87(2)(a)", "§ 87(2)(a) Exempted by state or federal statute"),
    ("§ 87(2)(b)", "§ 87(2)(b) Unwarranted invasion of personal privacy"),
    ("§ 87(2)(c)", "§ 87(2)(c) Would impair contract awards or collective-bargaining negotiations"),
    ("§ 87(2)(d)", "§ 87(2)(d) Trade secrets or commercial information causing competitive injury"),
    ("§ 87(2)(e)", "§ 87(2)(e) Compiled for law-enforcement purposes (investigations, fair trial, sources, techniques)"),
    ("§ 87(2)(f)", "§ 87(2)(f) Could endanger life or safety"),
    ("§ 87(2)(g)", "§ 87(2)(g) Inter- or intra-agency materials (except factual data, instructions, final policy, audits)"),
    ("§ 87(2)(h)", "§ 87(2)(h) Examination questions or answers"),
    ("§ 87(2)(i)", "§ 87(2)(i) Would jeopardize the security of information-technology assets"),
    # [unverified] wording: traffic-control signal monitoring (red-light camera) images.
    ("§ 87(2)(j)", "§ 87(2)(j) Images from traffic-control signal monitoring systems"),
]

# Texas Public Information Act, Gov't Code ch. 552, subch. C (the common ones).
_TX_PIA = [
    ("§ 552.101", "§ 552.101 Confidential by law (constitution, statute or judicial decision)"),
    ("§ 552.102", "§ 552.102 Personnel information"),
    ("§ 552.103", "§ 552.103 Litigation or settlement negotiations"),
    ("§ 552.104", "§ 552.104 Competition or bidding"),
    ("§ 552.107", "§ 552.107 Certain legal matters (attorney-client privilege)"),
    ("§ 552.108", "§ 552.108 Law-enforcement, corrections and prosecutorial information"),
    ("§ 552.110", "§ 552.110 Trade secrets; commercial or financial information"),
    ("§ 552.111", "§ 552.111 Agency memoranda (deliberative process)"),
    ("§ 552.117", "§ 552.117 Employees' addresses, telephone numbers and family information"),
    ("§ 552.130", "§ 552.130 Motor-vehicle records"),
    ("§ 552.136", "§ 552.136 Credit-card, debit-card and access-device numbers"),
    ("§ 552.137", "§ 552.137 Certain e-mail addresses of members of the public"),
    # [unverified] wording.
    ("§ 552.139", "§ 552.139 Computer and network security information"),
]

# Illinois FOIA, 5 ILCS 140/7(1).
_IL_FOIA = [
    ("7(1)(a)", "7(1)(a) Prohibited from disclosure by federal or state law or rules"),
    ("7(1)(b)", "7(1)(b) Private information"),
    ("7(1)(c)", "7(1)(c) Clearly unwarranted invasion of personal privacy"),
    ("7(1)(d)", "7(1)(d) Law-enforcement records (proceedings, fair trial, sources, techniques, safety)"),
    # [unverified] wording.
    ("7(1)(e)", "7(1)(e) Records of correctional facilities whose disclosure would threaten security"),
    ("7(1)(f)", "7(1)(f) Preliminary drafts, notes and recommendations (predecisional)"),
    ("7(1)(g)", "7(1)(g) Trade secrets and commercial or financial information furnished in confidence"),
    ("7(1)(h)", "7(1)(h) Proposals and bids before a final selection"),
    # [unverified] wording of (i)-(l).
    ("7(1)(i)", "7(1)(i) Valuable formulae, designs, drawings and research data"),
    ("7(1)(j)", "7(1)(j) Test questions, scoring keys and certain educational records"),
    ("7(1)(k)", "7(1)(k) Architects' and engineers' plans whose disclosure would compromise security"),
    ("7(1)(l)", "7(1)(l) Minutes of meetings closed under the Open Meetings Act"),
    ("7(1)(m)", "7(1)(m) Attorney-client communications and attorney work product"),
    ("7(1)(n)", "7(1)(n) Adjudication of employee grievances or discipline (except final outcomes)"),
]

# Washington Public Records Act, RCW 42.56.
_WA_PRA = [
    ("RCW 42.56.070(1)", "RCW 42.56.070(1) Exempted by another statute"),
    ("RCW 42.56.230", "RCW 42.56.230 Personal information"),
    ("RCW 42.56.240", "RCW 42.56.240 Investigative, law-enforcement and crime-victim information"),
    ("RCW 42.56.250", "RCW 42.56.250 Employment and licensing information"),
    ("RCW 42.56.270", "RCW 42.56.270 Financial, commercial and proprietary information"),
    ("RCW 42.56.280", "RCW 42.56.280 Deliberative process (preliminary drafts, notes, recommendations)"),
    ("RCW 42.56.290", "RCW 42.56.290 Agency party to a controversy (litigation work product)"),
    # [unverified] wording.
    ("RCW 42.56.420", "RCW 42.56.420 Security (terrorism response, vulnerability assessments, IT security)"),
    ("RCW 5.60.060(2)(a)", "RCW 5.60.060(2)(a) Attorney-client privilege (through RCW 42.56.070(1))"),
]

# Florida, Fla. Stat. § 119.071 (general exemptions); many others live outside chapter 119.
_FL_PRL = [
    ("§ 119.071(1)(a)", "§ 119.071(1)(a) Examination questions and answer sheets"),
    ("§ 119.071(1)(b)", "§ 119.071(1)(b) Sealed bids, proposals and replies before notice of decision"),
    ("§ 119.071(1)(d)", "§ 119.071(1)(d) Attorney work product prepared for litigation, until it concludes"),
    ("§ 119.071(2)(c)", "§ 119.071(2)(c) Active criminal intelligence and criminal investigative information"),
    # [unverified] paragraph number and wording.
    ("§ 119.071(3)", "§ 119.071(3) Security and firesafety plans and information"),
    ("§ 119.071(4)(d)", "§ 119.071(4)(d) Home addresses and personal information of law-enforcement and other listed personnel"),
    ("§ 119.071(5)(a)", "§ 119.071(5)(a) Social security numbers"),
    # [unverified] paragraph number.
    ("§ 119.071(5)(b)", "§ 119.071(5)(b) Bank account, debit, charge and credit card numbers"),
]

# Massachusetts, G.L. c. 4, § 7(26): the "public records" definition's exclusions.
_MA_PRL = [
    ("c. 4 § 7(26)(a)", "(a) Exempted by statute, specifically or by necessary implication"),
    ("c. 4 § 7(26)(b)", "(b) Related solely to internal personnel rules and practices, if necessarily withheld"),
    ("c. 4 § 7(26)(c)", "(c) Personnel and medical files; unwarranted invasion of personal privacy"),
    ("c. 4 § 7(26)(d)", "(d) Inter- or intra-agency memoranda on policy positions being developed"),
    ("c. 4 § 7(26)(e)", "(e) Notebooks and materials prepared by an employee for personal use"),
    ("c. 4 § 7(26)(f)", "(f) Investigatory materials whose disclosure would prejudice effective law enforcement"),
    ("c. 4 § 7(26)(g)", "(g) Trade secrets or commercial or financial information given voluntarily for policy development"),
    ("c. 4 § 7(26)(h)", "(h) Proposals and bids before they are opened"),
    ("c. 4 § 7(26)(i)", "(i) Appraisals of real property to be acquired"),
    ("c. 4 § 7(26)(j)", "(j) Firearms licensing records"),
    ("c. 4 § 7(26)(l)", "(l) Examination questions and answers"),
    # [unverified] wording of (n)-(p); clauses (k), (m), (q)-(u) are omitted because their
    # current wording was not verified ((k) is repealed).
    ("c. 4 § 7(26)(n)", "(n) Security plans, blueprints and vulnerability assessments"),
    ("c. 4 § 7(26)(o)", "(o) Home addresses and telephone numbers of public employees"),
    ("c. 4 § 7(26)(p)", "(p) Names and addresses of public employees' family members"),
]

# Pennsylvania Right-to-Know Law, 65 P.S. § 67.708(b)(1)-(30), plus privilege (§ 67.102).
_PA_RTKL = [
    ("§ 708(b)(1)", "§ 708(b)(1) Loss of federal or state funds, or risk to personal security"),
    ("§ 708(b)(2)", "§ 708(b)(2) Public safety, public protection or homeland security"),
    ("§ 708(b)(3)", "§ 708(b)(3) Physical security of buildings, utilities and infrastructure"),
    ("§ 708(b)(4)", "§ 708(b)(4) Computer and network security"),
    ("§ 708(b)(5)", "§ 708(b)(5) Medical, psychiatric or psychological information"),
    ("§ 708(b)(6)", "§ 708(b)(6) Personal identification information"),
    ("§ 708(b)(7)", "§ 708(b)(7) Certain employee records (references, performance ratings, discipline)"),
    ("§ 708(b)(10)", "§ 708(b)(10) Internal, predecisional deliberations"),
    ("§ 708(b)(11)", "§ 708(b)(11) Trade secrets or confidential proprietary information"),
    ("§ 708(b)(12)", "§ 708(b)(12) Notes and working papers for personal use"),
    ("§ 708(b)(16)", "§ 708(b)(16) Criminal investigation records"),
    ("§ 708(b)(17)", "§ 708(b)(17) Noncriminal investigation records"),
    # [unverified] wording of (18), (20), (21), (22), (26), (30).
    ("§ 708(b)(18)", "§ 708(b)(18) 911 recordings and emergency-dispatch records"),
    ("§ 708(b)(20)", "§ 708(b)(20) Autopsy records"),
    ("§ 708(b)(21)", "§ 708(b)(21) Draft minutes and executive-session minutes"),
    ("§ 708(b)(22)", "§ 708(b)(22) Real-estate appraisals and related records before acquisition"),
    ("§ 708(b)(26)", "§ 708(b)(26) Procurement proposals before award"),
    ("§ 708(b)(30)", "§ 708(b)(30) Records identifying minors"),
    ("§ 102 privilege", "§ 102 Privileged (attorney-client, attorney work product, other privileges)"),
]

# New Jersey OPRA: what N.J.S.A. 47:1A-1.1 excludes from "government record", plus §§ 47:1A-3 and -10.
_NJ_OPRA = [
    ("47:1A-1.1 ACD", "47:1A-1.1 Inter- or intra-agency advisory, consultative or deliberative material"),
    ("47:1A-1.1 criminal investigatory", "47:1A-1.1 Criminal investigatory records"),
    ("47:1A-1.1 victims", "47:1A-1.1 Victims' records"),
    ("47:1A-1.1 trade secrets", "47:1A-1.1 Trade secrets and proprietary commercial or financial information"),
    ("47:1A-1.1 attorney-client", "47:1A-1.1 Attorney-client privileged records"),
    ("47:1A-1.1 computer security", "47:1A-1.1 Computer hardware, software and network information that would jeopardize security"),
    ("47:1A-1.1 building security", "47:1A-1.1 Emergency or security information for buildings or facilities"),
    ("47:1A-1.1 surveillance", "47:1A-1.1 Security measures and surveillance techniques"),
    ("47:1A-1.1 competitive advantage", "47:1A-1.1 Information giving an advantage to competitors or bidders"),
    ("47:1A-1.1 personal identifying", "47:1A-1.1 Personal identifying information (social security, credit card, unlisted numbers, driver's license)"),
    ("47:1A-1.1 test questions", "47:1A-1.1 Test questions, scoring keys and examination data"),
    ("47:1A-3(a) investigation in progress", "47:1A-3(a) Investigation in progress (inimical to the public interest)"),
    ("47:1A-10 personnel", "47:1A-10 Personnel and pension records"),
]

EXEMPTIONS: dict[str, list[tuple[str, str]]] = {
    "us-foia": _US_FOIA,
    "ca-cpra": _CA_CPRA,
    "ny-foil": _NY_FOIL,
    "tx-pia": _TX_PIA,
    "il-foia": _IL_FOIA,
    "wa-pra": _WA_PRA,
    "fl-prl": _FL_PRL,
    "ma-prl": _MA_PRL,
    "pa-rtkl": _PA_RTKL,
    "nj-opra": _NJ_OPRA,
}


def exemptions_for(law_slug: str) -> list[tuple[str, str]]:
    """(code, label) for each exemption of this law, in statute order; [] for an unknown law."""
    return list(EXEMPTIONS.get(law_slug, ()))


def _key(code: str) -> str:
    return re.sub(r"[\s()§]", "", code).lower()


def resolve(law_slug: str, text: str) -> str | None:
    """The code of the exemption `text` names under this law (exact or typed loosely), or None."""
    text = (text or "").strip()
    key = _key(text)
    for code, _label in EXEMPTIONS.get(law_slug, ()):
        if text == code or (key and _key(code) == key):
            return code
    return None


def label_for(law_slug: str, code: str) -> str:
    return dict(EXEMPTIONS.get(law_slug, ())).get(code, code)
