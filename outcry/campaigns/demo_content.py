"""Demo content for the two seed campaigns that ``make run`` loads.

The facts (names, figures, dates, addresses) come from ``seed-facts.md``; all
wording is original to Outcry. Every e-mail address uses a reserved
``.example`` domain so the demo can never write to a real official.
"""

PETITION = {
    "slug": "protect-peruvian-protesters",
    "title": "Demand Protection for Peruvian Protestors",
    "goal": (
        "Ask Peru's President to make sure the security forces are trained well enough "
        "that they no longer use excessive force against protesters."
    ),
    "body": """\
Ollanta Humala's first year as President of Peru has cost lives: at least 15 civilians
were killed at protests across the country in that time. Human Rights Watch holds the
security forces partly responsible. It found that officers resorted to lethal force when
it was not necessary, in breach of international law.

The problem did not start with this government. During the five years Alan García was
President, 165 civilians died when police intervened at protests. When the deaths
continue from one administration to the next, they cannot be put down to isolated
mistakes. They show that training, equipment and accountability have failed.

What happened in Celendín shows how fast a protest can turn deadly. Local residents
gathered to oppose a gold mine because they feared it would harm their water supply,
and the demonstration began peacefully. When some protesters threw rocks and home-made
rockets, the security forces responded with firearms. Four civilians were shot dead and
16 more were wounded by gunfire. Some of those hit were bystanders who had not taken
part.

The local police had run out of tear gas, so they withdrew. Soldiers were sent in to
replace them, and members of the military cannot be tried in civilian courts. This makes
it much harder for victims and their families to see anyone held to account.

This is the moment to act. Congress has just given President Humala the power to
legislate on matters concerning the police and the armed forces. He can now make sure
that those who police protests are properly trained and equipped, that lethal force is
kept for real threats to life, and that anyone responsible for unlawful killings faces
justice. Add your name to ask him to do so.

Source: [Human Rights Watch](https://www.hrw.org/).
""",
    "letter": """\
Dear President Humala,

I am writing to you about the killing of protesters in Peru. At least 15 civilians have
died at demonstrations since you took office. Human Rights Watch has found that the
security forces share responsibility for these deaths because they used lethal force
when it was neither necessary nor lawful under international standards.

Congress has given you authority to legislate on police and armed-forces matters, which
puts you in a position to change this. I respectfully urge you to:

1. Make sure the police and armed forces who respond to protests are properly trained
   and have enough non-lethal equipment, so that they are never left with nothing but
   firearms to fall back on.
2. Uphold the international rule that lethal force may be used only in response to a
   serious threat to life.
3. See that members of the security forces who have broken international norms are
   brought to justice.

People in Peru must be able to voice their concerns in public without fearing for their
lives. I ask you to act now to protect them.

Sincerely,
""",
    "target": {
        "name": "Ollanta Humala",
        "role": "President of Peru",
        "institution": "Presidency of the Republic of Peru",
        "country": "PE",
        "salutations": {"en": "Dear President Humala,", "es": "Señor Presidente Humala:"},
        "language": "es",
        "emails": ["despacho@presidencia.gob.pe.example"],
    },
    "image": "peru-protest.jpg",
    "image_alt": (
        "Illustration of a crowd in dark silhouette, some holding up blank placards and "
        "raised fists, in front of mountain ridges and a low sun in a dusk sky of deep "
        "red and ochre."
    ),
    "image_credit": "Illustration: Outcry demo",
}


URGENT_ACTION = {
    "serial": 105,
    "year": 2022,
    "headline": "18 killed during protests",
    "country": "PE",
    "people_at_risk": "Protesters in Peru",
    "pronouns": "they/them",
    "summary": (
        "At least 18 people were killed and dozens injured on 9 January 2023 when security "
        "forces cracked down on protests in Juliaca, in the Puno region of Peru. Official "
        "sources put the death toll since the unrest began on 7 December 2022 at 40 or more. "
        "We are calling on the authorities to stop all unlawful force, to help the injured and "
        "the bereaved, and to investigate every death."
    ),
    "deadline": "2023-03-07",
    "published": "2023-01-13",
    "preferred_language": "es",
    "background": """\
- **7 December 2022:** President Castillo announced that he would dissolve
  Congress. The Constitutional Court and Congress both rejected the move, and he was
  arrested later that day. Vice-President Dina Boluarte was sworn in as President.
- Protests then broke out in many regions of the country, and the police and armed
  forces responded with repression. In the first days, dozens of people were injured
  and at least two were killed. Journalists said they had been assaulted and had their
  equipment taken from them.
- **14 December 2022:** The government declared a state of emergency. By
  **16 December**, 17 people had been killed.
- Protests quietened over the Christmas period. They started again in the new year, and
  the repression grew more severe.
- **9 January 2023:** In Juliaca, in the Puno region, at least 18 people were killed
  and dozens more injured.
- According to official sources, at least 40 people have now died in the regions of
  Puno, Ayacucho, Apurímac, Cusco, Junín, La Libertad and Arequipa. Most of them came
  from rural communities that have long been marginalised.
- We have followed the crisis closely. We issued press releases on 12 December, 16
  December and 10 January, and our first urgent action on the case went out on
  13 December.
- Under international standards, sporadic unlawful acts by some individuals do not make
  a protest lose its peaceful character.
""",
    "actions": """\
1. **Write a letter** to one or both of the officials listed below. Use your own words
   or start from the sample letter. You can also e-mail, fax or phone them, or reach
   them on social media. Spanish is preferred, but you may write in your own language.
2. **Report what you did** on UA 105.22. Tell us which actions you took. We share the
   totals with the officials concerned.

Please act before **7 March 2023**. After that date, check with your national office
before you send anything.
""",
    "letters": {
        "es": {
            "subject": "Perú: Alto al uso ilegítimo de la fuerza contra manifestantes",
            "call_script": (
                "Buenos días. Llamo para expresar mi preocupación por las personas muertas y "
                "heridas en las protestas en Perú, entre ellas 18 en Juliaca el 9 de enero de "
                "2023. Pido que cese todo uso ilegítimo de la fuerza, que se atienda a las "
                "personas heridas y que se investigue cada muerte de forma independiente. "
                "Muchas gracias."
            ),
            "body": """\
Me dirijo a usted con profunda preocupación por la muerte de 18 personas y por las
decenas de heridos que dejó la represión de las protestas en Juliaca el 9 de enero de
2023. De acuerdo con fuentes oficiales, desde el 7 de diciembre de 2022 han fallecido al
menos 40 personas en el contexto de las manifestaciones.

Según las normas internacionales de derechos humanos, las fuerzas de seguridad solo
pueden emplear la fuerza contra manifestantes cuando sea estrictamente necesario, en
forma proporcional y con un fin legítimo. Además, deben rendir cuentas por su
actuación.

Por ello, le pido que promueva el diálogo y ponga fin de inmediato a todo uso ilegítimo
de la fuerza. Le solicito también que garantice la atención adecuada de las personas
heridas y el apoyo a las familias de quienes perdieron la vida. Asimismo, le pido que
ordene investigaciones prontas, exhaustivas, independientes e imparciales sobre todas
estas muertes y lesiones.

Atentamente,
""",
        },
        "en": {
            "subject": "Peru: End unlawful force against protesters",
            "call_script": (
                "Hello. I am calling about the protesters killed and injured in Peru, including "
                "18 people in Juliaca on 9 January 2023. I ask that all unlawful use of force "
                "stop, that the injured receive care, and that every death is investigated "
                "independently. Thank you."
            ),
            "body": """\
I am writing to express my deep concern at the deaths of 18 people and the injuries
suffered by dozens more in Juliaca on 9 January 2023, when the protests there were
repressed. According to official sources, at least 40 people have been killed in the
context of the protests since 7 December 2022.

Under international human rights standards, security forces may use force against
protesters only when it is strictly necessary and proportionate and serves a
legitimate aim. They must also be held accountable for their actions.

I therefore urge you to promote dialogue and to put an immediate end to all unlawful
use of force. I also ask you to ensure that the injured receive proper care and that
the families of those who died are given support. Please order prompt, thorough,
independent and impartial investigations into all of these deaths and injuries.

Yours sincerely,
""",
        },
    },
    "targets": [
        {
            "name": "Dina Ercilia Boluarte Zegarra",
            "role": "President of Peru",
            "institution": "Presidency of the Republic of Peru",
            "country": "PE",
            "salutations": {
                "en": "Dear Madam President Dina Boluarte,",
                "es": "Señora Presidenta Dina Boluarte:",
            },
            "language": "es",
            "postal_address": "Jr. De la Unión S/N, cuadra uno\nLima – Lima 15001\nPerú",
            "emails": ["despacho@presidencia.gob.pe.example"],
            "phones": [],
            "fax": "",
            "social": [],
            "contact_form_url": "",
        },
    ],
    "copies_to": [
        {
            "name": "Oswaldo de Rivero",
            "role": "Ambassador of Peru to the USA",
            "institution": "Embassy of Peru",
            "country": "US",
            "salutations": {"en": "Dear Ambassador,", "es": "Señor Embajador:"},
            "language": "es",
            "postal_address": "1700 Massachusetts Ave. NW\nWashington DC 20036\nUSA",
            "emails": ["digitaldiplomacy@embassyofperu.example"],
            "phones": ["+1 202 833 9860"],
            "fax": "+1 202 659 8124",
            "social": [
                {
                    "network": "twitter",
                    "handle": "@PeruInTheUSA",
                    "url": "https://twitter.com/PeruInTheUSA",
                },
                {
                    "network": "instagram",
                    "handle": "@peruintheusa",
                    "url": "https://www.instagram.com/peruintheusa/",
                },
            ],
            "contact_form_url": "https://embassyofperu.example/contact",
        },
    ],
    "follows": {
        "serial": 154,
        "year": 2022,
        "headline": "Peru: Protesters killed and injured in violent crackdown",
        "published": "2022-12-13",
        "summary": (
            "Our first action on this case. Police and armed forces met the protests that "
            "followed President Castillo's arrest on 7 December 2022 with violence, and in the "
            "first days at least two people were killed and dozens injured."
        ),
    },
}
