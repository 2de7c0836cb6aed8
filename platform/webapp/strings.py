"""The few words the server writes into a page before the app runs (titles, descriptions, the
prerendered public pages), in each brand language. They repeat the app's own messages
(frontend/src/i18n and components/marketplace/messages.*.ts) word for word, so the page reads
the same before and after the app takes over; ``tests/webapp/test_head.py`` holds them to it."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "common.skip": "Skip to content",
        "common.language": "Language",
        "common.darkMode": "Switch to dark mode",
        "nav.home": "Home",
        "nav.program": "Partner program",
        "nav.leaderboard": "Leaderboard",
        "nav.faq": "FAQ",
        "nav.deals": "Deals",
        "nav.deal": "Deal",
        "nav.contact": "Contact",
        "nav.terms": "Terms",
        "nav.privacyPolicy": "Privacy policy",
        "nav.login": "Log in",
        "nav.signup": "Join",
        "nav.main": "Main menu",
        "nav.menu": "Menu",
        "nav.api": "API",
        "home.eyebrow": "Partner program",
        "home.title": "Grow with {brand}",
        "home.lead": "Share what you love, earn on every sale you bring, and get paid when you choose.",
        "home.join": "Become a partner",
        "home.learnMore": "How it works",
        "program.title": "The {brand} partner program",
        "program.subtitle": "Everything you need to know before you join.",
        "faq.title": "Frequently asked questions",
        "faq.subtitle": "About the {brand} partner program.",
        "faq.q1": "Who can join?",
        "faq.a1": "Anyone with an audience: creators, bloggers, communities, "
        "ambassadors. Sign up, and start sharing as soon as your membership is approved.",
        "faq.q2": "How are sales attributed to me?",
        "faq.a2": "Your links set a first-party cookie for {cookie} days. A sale in that "
        "window is yours; a coupon code of yours counts too.",
        "faq.q3": "When is a commission paid?",
        "faq.a3": "It stays pending for {hold} days (the refund window), then becomes "
        "available. A refunded sale reverses its commission.",
        "faq.q4": "How do I withdraw?",
        "faq.a4": "From your payouts page, by PayPal or bank transfer, from {minimum}. "
        "You follow the status of each request live.",
        "faq.q5": "Can I invite other partners?",
        "faq.a5": "Yes: share your invite link. You earn a share of the sales of the partners you bring.",
        "faq.q6": "Is there an API?",
        "faq.a6": "Yes, the same GraphQL API this site uses. Create a personal token in "
        "your account and explore it in the playground.",
        "faq.more": "Still curious?",
        "leaderboard.title": "Leaderboard",
        "contact.title": "Contact us",
        "market.title": "Deals",
        "market.subtitle": "The best local deals, checked by us.",
        "market.results": "Deals found",
        "market.categories": "Categories",
        "market.sort": "Sort by",
        "market.filters": "Filters",
        "sort.RELEVANCE": "Recommended",
        "sort.NEWEST": "Newest",
        "sort.PRICE_ASC": "Price: low to high",
        "sort.PRICE_DESC": "Price: high to low",
        "sort.DISCOUNT": "Biggest discount",
        "sort.EXPIRING_SOON": "Ending soon",
        "sort.POPULAR": "Most bought",
        "sort.RATING": "Best rated",
        "market.allCategories": "All deals",
        "market.categoryTitle": "{category} deals",
        "deal.price": "Price",
        "deal.originalPrice": "Original price",
        "deal.saving": "Saving",
        "deal.featured": "Featured",
        "deal.dealOfTheDay": "Deal of the day",
        "deal.soldOut": "Sold out",
        "deal.endsIn": "Ends in",
        "deal.dayUnit": "d",
        "reviews.count": "{count} reviews",
        "deal.see": "See the deal",
        "deal.breadcrumbs": "You are here",
        "deal.notFound": "This deal does not exist.",
        "page.notFound": "Page not found",
        "meta.program": "Join the {brand} partner program: commission rates, hold period, payouts.",
        "meta.leaderboard": "The top partners of {brand} this month.",
        "meta.faq": "Answers about the {brand} partner program: joining, links, commissions, payouts.",
        "meta.contact": "Write to {brand}: questions about deals, orders or the partner program.",
        "meta.terms": "The terms of use of {brand}.",
        "meta.privacy": "How {brand} handles your personal data.",
    },
    "fr": {
        "common.skip": "Aller au contenu",
        "common.language": "Langue",
        "common.darkMode": "Passer en mode sombre",
        "nav.home": "Accueil",
        "nav.program": "Programme partenaires",
        "nav.leaderboard": "Classement",
        "nav.faq": "FAQ",
        "nav.deals": "Bons plans",
        "nav.deal": "Offre",
        "nav.contact": "Contact",
        "nav.terms": "Conditions",
        "nav.privacyPolicy": "Politique de confidentialité",
        "nav.login": "Se connecter",
        "nav.signup": "Rejoindre",
        "nav.main": "Menu principal",
        "nav.menu": "Menu",
        "nav.api": "API",
        "home.eyebrow": "Programme partenaires",
        "home.title": "Grandissez avec {brand}",
        "home.lead": "Partagez ce que vous aimez, gagnez sur chaque vente apportée et soyez payé quand "
        "vous le décidez.",
        "home.join": "Devenir partenaire",
        "home.learnMore": "Comment ça marche",
        "program.title": "Le programme partenaires {brand}",
        "program.subtitle": "Tout ce qu'il faut savoir avant de rejoindre.",
        "faq.title": "Questions fréquentes",
        "faq.subtitle": "Sur le programme partenaires {brand}.",
        "faq.q1": "Qui peut participer ?",
        "faq.a1": "Toute personne qui a une audience : créateurs, blogueurs, "
        "communautés, ambassadeurs. Inscrivez-vous et partagez dès que votre adhésion est validée.",
        "faq.q2": "Comment les ventes me sont-elles attribuées ?",
        "faq.a2": "Vos liens déposent un cookie propriétaire pendant {cookie} jours. Une "
        "vente dans ce délai est à vous ; votre code promo compte aussi.",
        "faq.q3": "Quand une commission est-elle versée ?",
        "faq.a3": "Elle reste en attente {hold} jours (le délai de remboursement), puis "
        "devient disponible. Une vente remboursée annule sa commission.",
        "faq.q4": "Comment retirer mes gains ?",
        "faq.a4": "Depuis votre page Paiements, par PayPal ou virement, à partir de "
        "{minimum}. Vous suivez le statut de chaque demande en direct.",
        "faq.q5": "Puis-je inviter d'autres partenaires ?",
        "faq.a5": "Oui : partagez votre lien d'invitation. Vous touchez une part des "
        "ventes des partenaires que vous amenez.",
        "faq.q6": "Y a-t-il une API ?",
        "faq.a6": "Oui, la même API GraphQL que ce site. Créez un jeton personnel dans "
        "votre compte et explorez-la dans le playground.",
        "faq.more": "Encore des questions ?",
        "leaderboard.title": "Classement",
        "contact.title": "Nous contacter",
        "market.title": "Bons plans",
        "market.subtitle": "Les meilleures offres près de chez vous, vérifiées par nos soins.",
        "market.results": "Offres trouvées",
        "market.categories": "Catégories",
        "market.sort": "Trier par",
        "market.filters": "Filtres",
        "sort.RELEVANCE": "Recommandées",
        "sort.NEWEST": "Nouveautés",
        "sort.PRICE_ASC": "Prix croissant",
        "sort.PRICE_DESC": "Prix décroissant",
        "sort.DISCOUNT": "Plus forte remise",
        "sort.EXPIRING_SOON": "Se terminent bientôt",
        "sort.POPULAR": "Les plus achetées",
        "sort.RATING": "Les mieux notées",
        "market.allCategories": "Toutes les offres",
        "market.categoryTitle": "Bons plans {category}",
        "deal.price": "Prix",
        "deal.originalPrice": "Prix habituel",
        "deal.saving": "Remise",
        "deal.featured": "À la une",
        "deal.dealOfTheDay": "Offre du jour",
        "deal.soldOut": "Épuisé",
        "deal.endsIn": "Se termine dans",
        "deal.dayUnit": "j",
        "reviews.count": "{count} avis",
        "deal.see": "Voir l'offre",
        "deal.breadcrumbs": "Vous êtes ici",
        "deal.notFound": "Cette offre n'existe pas.",
        "page.notFound": "Page introuvable",
        "meta.program": "Rejoignez le programme partenaires {brand} : commissions, période de garantie, "
        "paiements.",
        "meta.leaderboard": "Les meilleurs partenaires de {brand} ce mois-ci.",
        "meta.faq": "Les réponses sur le programme partenaires {brand} : inscription, liens, commissions, "
        "paiements.",
        "meta.contact": "Écrivez à {brand} : une question sur une offre, une commande ou le programme "
        "partenaires.",
        "meta.terms": "Les conditions d'utilisation de {brand}.",
        "meta.privacy": "Comment {brand} traite vos données personnelles.",
    },
}

# Keys the server writes that the app has no message for (its titles are built otherwise).
SERVER_ONLY_KEYS = frozenset(
    {"market.categoryTitle", "page.notFound"} | {key for key in STRINGS["en"] if key.startswith("meta.")}
)


SORTS = ("RELEVANCE", "NEWEST", "PRICE_ASC", "PRICE_DESC", "DISCOUNT", "EXPIRING_SOON", "POPULAR", "RATING")


def text(language: str, key: str, **params: str) -> str:
    catalog = STRINGS.get(language, STRINGS["en"])
    value = catalog.get(key, STRINGS["en"][key])
    for name, param in params.items():
        value = value.replace("{" + name + "}", param)
    return value
