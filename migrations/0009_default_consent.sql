-- The consent every new clinic starts with, published as version 1 so patients can sign on the
-- first day. Written for this project; a clinic replaces it by publishing its own version.
INSERT INTO consent_versions (title, body, published_at)
VALUES ('Ketamine infusion therapy', $consent$## Why you are being asked to sign

This form explains ketamine infusion therapy at our clinic: what it is for, what happens during a
treatment, what it may do for you and what can go wrong. Please read all of it. Ask us about
anything that is unclear before you sign. Signing means you agree to start treatment; it does not
oblige you to continue.

## Purpose of the treatment

Ketamine is an anaesthetic medicine. In lower doses, given slowly into a vein, it is used to treat
depression that has not improved enough with other treatments, and some other conditions your
clinician will have discussed with you. Using ketamine for depression is an "off-label" use: the
medicine is approved as an anaesthetic, and its use for depression rests on research studies and
clinical experience rather than on that approval. Ketamine does not work for everyone.

## What happens during a treatment

- Before each visit you will be asked not to eat for a few hours and to arrange an adult to take
  you home.
- A clinician checks your health, your blood pressure, heart rate and oxygen level, and asks how
  you have been feeling.
- A small tube (cannula) is placed in a vein in your arm. Ketamine is given through it by a pump,
  usually over about 40 minutes. The dose is worked out from your body weight.
- You stay in a monitored treatment room the whole time. Staff check your blood pressure, heart
  rate, breathing and oxygen level regularly, and watch how you respond.
- After the infusion you rest until the effects have worn off and your readings are back near
  where they started. A clinician decides when it is safe for you to leave with your escort.
- A first course is commonly six infusions over two to three weeks, sometimes followed by
  occasional "booster" infusions. Your clinician will discuss the plan with you.

## Possible benefits

Many people notice their mood lift within hours or days of an infusion, including some who did
not improve with other treatments. Thoughts of suicide may ease. The benefit often fades over weeks
or months, which is why further infusions may be offered. We cannot promise that you will benefit.

## Risks and side effects

**During and shortly after an infusion** you may have:

- dissociation: feeling detached from your body or surroundings, dreamlike or unreal feelings,
  changes in how you see, hear or sense time;
- dizziness, drowsiness, blurred vision or feeling unsteady;
- nausea or vomiting;
- a rise in blood pressure and a faster heart rate;
- anxiety, confusion or unpleasant experiences while the medicine acts;
- a headache.

These usually pass within an hour or two of the infusion ending. If they trouble you, the team
can slow or stop the infusion and can give medicine for nausea, anxiety or high blood pressure.
Serious reactions, such as very high blood pressure, irregular heartbeat or breathing problems,
are rare; the team is trained and equipped to deal with them.

**With repeated or high-dose use over time**, ketamine can cause:

- problems with memory, attention and thinking (cognition);
- bladder problems: needing to pass urine often or urgently, pain, or blood in the urine. Tell us
  at once if you notice any of these;
- liver problems, which may show up in blood tests.

These are mostly reported in people who use ketamine often and in large amounts outside medical
care, but they are the reason we ask about your bladder and memory during your course and keep the
number and dose of infusions within limits. Ketamine can also be misused; please do not take it
outside this treatment.

**Pregnancy and breastfeeding:** ketamine is not given during pregnancy or breastfeeding. Tell us
if you are, or might be, pregnant.

## After each infusion

- **Do not drive, cycle or operate machinery until the next day,** after a full night's sleep.
- An adult must take you home. Do not travel home alone.
- Do not drink alcohol or make important decisions for the rest of the day.
- Call the clinic if you feel unwell after you leave. In an emergency call 911. If you have
  thoughts of harming yourself, call or text 988 at any time.

## Alternatives

Other treatments for depression include talking therapies, antidepressant medicines, esketamine
nasal spray, transcranial magnetic stimulation (TMS) and electroconvulsive therapy (ECT). You may
choose any of these instead of, or alongside, ketamine, or choose no treatment. Your clinician can
talk you through them.

## Your right to withdraw

Taking part is your choice. You may withdraw this consent at any time, before or during any
treatment, without giving a reason, by telling a member of staff or by using "Withdraw consent" in
your account. Withdrawing will not affect your other care at the clinic. Future infusions will be
cancelled; you can sign again later if you change your mind.

## Signing electronically

You are signing this form electronically. Before you do, please note:

- Your typed name and the confirmation box have the same effect as a handwritten signature. We
  record your name, the date and time, this version of the form, a fingerprint (SHA-256) of its
  exact text, your device's network address and your browser, so that the record can be checked
  later.
- You may ask for a paper copy of this form and of your signed record at any time, free of charge.
  You can also print or save your signed copy from your account.
- You may choose not to receive or sign records electronically. To withdraw your agreement to
  electronic records, tell the front desk or write to the clinic; we will then give you paper
  forms to sign. Withdrawing that agreement does not cancel anything you have already signed.
- To read and keep this form you need a web browser; to keep a copy you need a printer or space to
  save a file.

## Your agreement

By signing, you confirm that you have read this form, that you have had the chance to ask
questions and have had them answered, and that you agree to receive ketamine infusion therapy at
this clinic.
$consent$, now());
